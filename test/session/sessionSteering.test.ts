/**
 * Every steering change goes through ChatSession.stage: one check (the mix) per change, and that mix is what the next
 * turn applies. Over the in-memory backend (steeringBackend.ts), which records each mix made and each one applied,
 * and a FakeConversation whose turns call the hook the real conversation calls: no model.
 */
import {describe, expect, it, vi} from "vitest";
import {ChatSession, type ChatSessionOptions} from "../../src/session/chatSession.js";
import {SteeringController} from "../../src/steering/steeringController.js";
import {MemorySteeringBackend} from "../../src/steering/steeringBackend.js";
import {SteeringOverflowError} from "../../src/steering/mixControlVectors.js";
import type {SteeringEntry} from "../../src/steering/steeringState.js";
import type {AutoCalibration} from "../../src/steering/autoCalibrate.js";
import {FakeConversation} from "../helpers/fakeConversation.js";

const shape = {nEmbd: 4, nLayer: 4};
const entry = (name: string, coefficient: number, value = 1): SteeringEntry =>
    ({name, source: `/v/${name}.gguf`, vector: {nEmbd: 4, directions: new Map([[1, new Float32Array(4).fill(value)], [2, new Float32Array(4).fill(value)]])},
        coefficient, enabled: true});

function sessionOn(options: Partial<ChatSessionOptions> = {}) {
    const backend = new MemorySteeringBackend(shape);
    const steering = new SteeringController(backend);
    const conversation = new FakeConversation();
    conversation.beforeTurn = () => steering.applyStaged(); // the turn rule (setupSteering's steeringHooks)
    const session = new ChatSession({conversation, steering, ...options});
    return {session, steering, backend, conversation};
}

describe("the session is the one way to change the steering", () => {
    it("a staged change is mixed once, when it is staged; the turn applies that mix and does not mix again", async () => {
        const {session, backend} = sessionOn();
        expect(backend.applied).toEqual([null]); // a new controller clears whatever an earlier one left on the context
        session.stage((s) => s.add(entry("happy", 0.5)));
        session.stage((s) => s.setCoefficient("happy", 0.75));
        expect(backend.mixes).toHaveLength(2);
        const checked = backend.mixes.at(-1)!;
        const turn = await session.send("hello");
        expect(backend.mixes).toHaveLength(2);
        expect(backend.current).toBe(checked);
        expect(turn.vector).toBe(checked); // what the gauge is told the reply was made with
        expect(checked.data[0]).toBe(0.75);
        expect(turn.steering).toEqual([{name: "happy", source: "/v/happy.gguf", coefficient: 0.75, enabled: true}]);
        // staging the same state again neither mixes nor re-applies
        session.stage((s) => s);
        await session.send("again");
        expect(backend.mixes).toHaveLength(2);
        expect(backend.applied).toHaveLength(2);
    });

    it("a change whose sum overflows float32 is refused when it is staged, and the steering stays as it was", async () => {
        const {session, backend} = sessionOn();
        session.stage((s) => s.add(entry("big", 1, 3e38)));
        const before = session.steeringState;
        expect(() => session.stage((s) => s.add(entry("bigger", 1, 3e38)))).toThrow(SteeringOverflowError);
        expect(session.steeringState).toBe(before);
        await session.send("hello");
        expect(backend.current?.data[0]).toBe(Math.fround(3e38));
    });

    it("/layers stages through the session, fitted to the model, and says how a range was adjusted", () => {
        const {session} = sessionOn();
        session.stage((s) => s.add(entry("happy", 1)));
        const stage = vi.spyOn(session, "stage");
        const {state, warning} = session.setLayers("happy", {start: 2, end: 3});
        expect(stage).toHaveBeenCalledTimes(1);
        expect(state.get("happy").layers).toEqual({start: 2, end: 3});
        expect(warning).toBeUndefined();
        expect(() => session.setLayers("happy", {start: 2, end: 99})).toThrow(/Invalid layer range 2-99/);
    });

    it("/sweep's trials are staged through the session, each applied as it was checked, and the user's steering put back", async () => {
        const {session, backend} = sessionOn();
        session.stage((s) => s.add(entry("happy", 0.5)));
        await session.send("hello");
        const stage = vi.spyOn(session, "stage");
        const appliedBefore = backend.applied.length;
        const rows = await session.sweep("happy", [-1, 1], () => ({}));
        expect(rows.map((r) => r.coefficient)).toEqual([-1, 1]);
        expect(stage).toHaveBeenCalledTimes(3); // two trials and the way back
        const trialMixes = backend.applied.slice(appliedBefore, appliedBefore + 2).map((m) => m?.data[0]);
        expect(trialMixes).toEqual([-1, 1]);
        expect(session.steeringState!.get("happy").coefficient).toBe(0.5);
        expect(session.hasPendingSteering).toBe(false);
        expect(backend.current?.data[0]).toBe(0.5);
    });

    /** a strength search that stages three probes and finds ±2 (or fails after them, with `failing`) */
    const searching = (probed: number[], failing = false): ChatSessionOptions["autoCalibrate"] => async (name, {steering}) => {
        for (const c of [0.5, 2, -2]) {
            steering.update((s) => s.setCoefficient(name, c));
            probed.push(c);
        }
        if (failing) throw new Error("the probe failed");
        const point = (sigma: number, coefficient: number) =>
            ({sigma, coefficient, kl: 0, repetition: 0, perplexity: 1, score: 0, texts: []});
        const points = [point(0, 0), point(1, 2), point(-1, -2)];
        const result: AutoCalibration = {name, prompts: ["p"], limits: {kl: 1, repetition: 1}, baseline: points[0]!,
            positive: {limit: 1, stopped: false}, negative: {limit: -1, stopped: false}, points,
            coefficientRange: {min: -2, max: 2}, stopped: false, seconds: 1};
        return result;
    };

    it("/calibrate's probes stage through the session, and the range found is staged there too", async () => {
        const probed: number[] = [];
        const {session} = sessionOn({autoCalibrate: searching(probed)});
        session.stage((s) => s.add(entry("happy", 0.5)));
        const stage = vi.spyOn(session, "stage");
        const report = await session.calibrate("happy");
        expect(report).toMatch(/^happy on : the strongest strength each way/);
        expect(probed).toEqual([0.5, 2, -2]);
        expect(stage).toHaveBeenCalledTimes(4); // three probes and the range
        expect(session.steeringState!.get("happy").range).toEqual({min: -2, max: 2});
    });

    it("/calibrate under keep holds the cache and puts it back after its probes, failed or not; under reeval holds none", async () => {
        for (const policy of ["keep", "reeval"] as const) {
            for (const failing of [false, true]) {
                const {session, conversation} = sessionOn({autoCalibrate: searching([], failing)});
                conversation.historyPolicy = policy;
                session.stage((s) => s.add(entry("happy", 0.5)));
                const calibrating = session.calibrate("happy");
                if (failing) await expect(calibrating).rejects.toThrow("the probe failed");
                else await calibrating;
                expect(conversation.holds, `${policy}, failing: ${failing}`).toEqual(policy === "keep" ? ["restored"] : []);
                expect(conversation.historyPolicy).toBe(policy);
            }
        }
    });

    it("reply-only steering switches the applied mix off and on without mixing it again", async () => {
        const {session, steering, backend} = sessionOn();
        session.stage((s) => s.add(entry("happy", 0.5)));
        await session.send("hello");
        const mixes = backend.mixes.length;
        const applied = backend.current;
        steering.applyUnsteered();
        expect(backend.current).toBeNull();
        steering.reapply();
        expect(backend.current).toBe(applied);
        expect(backend.mixes).toHaveLength(mixes);
    });
});
