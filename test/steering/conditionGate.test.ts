/** The condition gate's pure parts: the condition's grammar, the decision, and the conversation hooks it wraps. */
import {describe, expect, it} from "vitest";
import type {ReplySettings} from "../../src/engine/conversation.js";
import {conditionOf, conditionText, decide, describeDecision, gatedSteering, parseCondition} from "../../src/steering/conditionGate.js";
import type {SteeringController} from "../../src/steering/steeringController.js";
import {UNSTEERED_KEY} from "../../src/steering/steerPolicy.js";

describe("conditions", () => {
    it("NAME>Z and NAME<Z, the last > or < splitting a path from its threshold", () => {
        expect(parseCondition("sue>0.5")).toEqual({ref: "sue", op: ">", threshold: 0.5});
        expect(parseCondition(" tim < -1 ")).toEqual({ref: "tim", op: "<", threshold: -1});
        expect(parseCondition("./a>b/v.gguf>2")).toEqual({ref: "./a>b/v.gguf", op: ">", threshold: 2});
        for (const bad of ["sue", ">1", "sue>", "sue>x", "sue=1", "sue>1e999"]) expect(parseCondition(bad), bad).toBeUndefined();
        expect(() => conditionOf("--when", "sue")).toThrow(/Invalid value for --when: "sue"/);
        expect(conditionText(conditionOf("/when", "sue>-0.25"))).toBe("sue>-0.25");
    });

    it("opens strictly past the threshold; a z that is not a number keeps it closed", () => {
        expect(decide({op: ">", threshold: 0.5}, "sue", 0.51).open).toBe(true);
        expect(decide({op: ">", threshold: 0.5}, "sue", 0.5).open).toBe(false);
        expect(decide({op: "<", threshold: 0}, "sue", -0.1).open).toBe(true);
        expect(decide({op: "<", threshold: 0}, "sue", Number.NaN).open).toBe(false);
        expect(describeDecision(decide({op: ">", threshold: 0.5}, "sue", 1.234))).toBe("when sue>0.5: prompt z +1.23, steered");
        expect(describeDecision(decide({op: ">", threshold: 0.5}, "sue", -0.4))).toBe("when sue>0.5: prompt z -0.40, not steered");
    });
});

describe("gatedSteering", () => {
    /** a controller that records what is put on the context */
    function setup() {
        const calls: string[] = [];
        let staged = false;
        const controller = {applyUnsteered: () => calls.push("clear"), reapply: () => calls.push("steer")} as unknown as SteeringController;
        const hooks = {beforeTurn: () => {
            if (!staged) return false;
            staged = false;
            calls.push("apply staged");
            return true;
        }, settingsKey: () => "[sue]"};
        const reply: ReplySettings = {active: () => true, toPrompt: () => calls.push("prompt"), toReply: () => calls.push("reply"),
            promptKey: () => UNSTEERED_KEY, replySwitch: () => ({after: 2, to: "reply", vector: null}), replyGate: () => undefined};
        const gate = {closed: false};
        return {calls, gate, stage: () => { staged = true; }, gated: gatedSteering(controller, gate, hooks, reply)};
    }

    it("a closed turn runs unsteered under the unsteered key, with no reply-only switch; the next open one steers again", async () => {
        const {calls, gate, gated} = setup();
        expect(await gated.beforeTurn()).toBe(false);
        expect(gated.settingsKey()).toBe("[sue]");
        gate.closed = true;
        expect(await gated.beforeTurn()).toBe(true); // the model's behaviour changed: the history policy applies
        expect(calls).toEqual(["clear"]);
        expect(gated.settingsKey()).toBe(UNSTEERED_KEY);
        expect(gated.replySettings.active()).toBe(false);
        expect(gated.replySettings.replySwitch!()).toBeUndefined();
        gated.replySettings.toReply();
        expect(calls).toEqual(["clear", "clear"]);
        gate.closed = false;
        expect(await gated.beforeTurn()).toBe(true);
        expect(calls).toEqual(["clear", "clear", "steer"]);
        expect(gated.replySettings.active()).toBe(true);
        expect(await gated.beforeTurn()).toBe(false);
    });

    it("staged steering is applied before a closed turn clears it, and an open turn after it needs no second apply", async () => {
        const {calls, gate, gated, stage} = setup();
        gate.closed = true;
        stage();
        await gated.beforeTurn();
        expect(calls).toEqual(["apply staged", "clear"]);
        gate.closed = false;
        stage();
        await gated.beforeTurn();
        expect(calls).toEqual(["apply staged", "clear", "apply staged"]);
    });
});
