/**
 * The steering gates in a session on stories260K (raw, greedy): a turn the condition gate closes is the turn made
 * with the steering off, the next open one is the turn made with it on again (the same history, the same cache
 * policy), and the gates are kept in presets and said by /steering.
 */
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {openSession, type OpenedSession} from "../../src/session/openSession.js";
import {conditionOf} from "../../src/steering/conditionGate.js";
import {repoRoot, storiesModel, tempDir} from "../helpers/steeringTestKit.js";

const sue = path.join(repoRoot, "vectors", "sue.gguf");
const SUE = "Sue liked to sing. Sue had a red hat. Sue was happy.";
const TIM = "Tim ran to the park. Tim had a ball. Tim was fast.";

describe("steering gates in a session", () => {
    let loaded: LoadedModel;
    const opened: OpenedSession[] = [];
    beforeAll(async () => {
        process.env.STEER_CHAT_CONFIG_DIR = tempDir("steer-gates-");
        process.env.STEER_CHAT_DATA_DIR = tempDir("steer-data-");
        loaded = await loadModel(storiesModel, {contextSize: 512});
    });
    const closeAll = async () => {
        for (const o of opened.splice(0)) {
            o.session.conversation.dispose();
            await o.close();
        }
    };
    afterAll(async () => {
        await closeAll();
        await loaded.dispose();
    });
    const open = async (options: Partial<Parameters<typeof openSession>[1]> = {}) => {
        await closeAll();
        const session = await openSession(loaded, {mode: "raw", vectors: [`${sue}:0.5`], temperature: 0, maxTokens: 24, history: "keep", ...options});
        opened.push(session);
        return session.session;
    };

    it("a closed turn is the turn made with the steering off; the open one after it, the turn made with it on", async () => {
        const gated = await open({when: conditionOf("--when", "sue>0")});
        const tim = await gated.send(TIM);
        const sueTurn = await gated.send(SUE);
        expect(tim.gate).toMatchObject({vector: "sue", op: ">", threshold: 0, open: false});
        expect(tim.gate!.z).toBeLessThan(0);
        expect(tim.vector).toBeNull();
        expect(sueTurn.gate).toMatchObject({open: true});
        expect(sueTurn.gate!.z).toBeGreaterThan(0);
        expect(sueTurn.vector).not.toBeNull();
        const gatedUsage = gated.contextUsage();
        // /steering says each reply's decision
        const said = gated.describeSteering(2);
        expect(said.at(-2)).toMatch(/reply 1: sue \+0\.50 · when sue>0: prompt z -\d\.\d\d, not steered$/);
        expect(said.at(-1)).toMatch(/reply 2: sue \+0\.50 · when sue>0: prompt z \+\d\.\d\d, steered$/);

        // by hand: the same two turns with the vector switched off, then on
        const byHand = await open();
        byHand.stage((s) => s.allOff());
        const timOff = await byHand.send(TIM);
        byHand.stage((s) => s.setEnabled("sue", true));
        const sueOn = await byHand.send(SUE);
        expect(tim.reply.tokens).toEqual(timOff.reply.tokens);
        expect(sueTurn.reply.tokens).toEqual(sueOn.reply.tokens);
        expect(gatedUsage.staleTokens).toBe(byHand.contextUsage().staleTokens);

        // and the steering made a difference on the Tim prompt (else the closed turn proves nothing)
        const always = await open();
        expect((await always.send(TIM)).reply.tokens).not.toEqual(tim.reply.tokens);
    });

    it("/steering says the gates; a preset keeps them and loading it puts them back", async () => {
        const session = await open({steerCode: "off", when: conditionOf("--when", "sue<1.5")});
        expect(session.describeSteering(0).join("\n")).toMatch(/Gates: code off, when sue<1\.5/);
        await session.savePreset("gated", "gates");
        const other = await open();
        expect(other.gates!.describe()).toEqual([]);
        await other.loadPreset("gated");
        expect(other.gates!.describe()).toEqual(["code off", "when sue<1.5"]);
    });
});
