/**
 * The session owns a turn: send applies the staged steering (through the conversation's hooks) and returns the reply
 * with the steering it was made with; the history policy decides what a change does to the cache; /compare and
 * /sweep leave the conversation and the steering as they found them. On stories260K, which the shipped `sue` steers.
 */
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {openSession, type OpenedSession} from "../../src/session/openSession.js";
import {repoRoot, storiesModel, tempDir} from "../helpers/steeringTestKit.js";

const sue = path.join(repoRoot, "vectors", "sue.gguf");
const PROMPT = "Once upon a time";

describe("ChatSession on stories260K", () => {
    let loaded: LoadedModel;
    let saved: string | undefined;
    const opened: OpenedSession[] = [];
    beforeAll(async () => {
        saved = process.env.STEER_CHAT_CONFIG_DIR;
        process.env.STEER_CHAT_CONFIG_DIR = tempDir("steer-session-");
        loaded = await loadModel(storiesModel, {contextSize: 512});
    });
    /** the model's context has one sequence: a session gives it back before the next one opens */
    const closeAll = async () => {
        for (const o of opened.splice(0)) {
            o.session.conversation.dispose();
            await o.close();
        }
    };
    afterAll(async () => {
        await closeAll();
        await loaded.dispose();
        if (saved == null) delete process.env.STEER_CHAT_CONFIG_DIR;
        else process.env.STEER_CHAT_CONFIG_DIR = saved;
    });
    const open = async (options: Partial<Parameters<typeof openSession>[1]> = {}) => {
        await closeAll();
        const session = await openSession(loaded, {mode: "raw", vectors: [], temperature: 0, maxTokens: 48, ...options});
        opened.push(session);
        return session.session;
    };

    it("send applies the staged steering first and returns the reply with the steering it was made with", async () => {
        const plain = (await (await open()).send(PROMPT)).reply.text;
        const session = await open({vectors: [`${sue}:1`]});
        session.stage((s) => s.allOff()); // staged before the first turn, so it never steers at all
        const off = await session.send(PROMPT);
        expect(session.steering!.hasPendingChanges).toBe(false);
        expect(off.steering).toEqual([{name: "sue", source: sue, coefficient: 1, enabled: false}]);
        expect(off.reply.text).toBe(plain); // switched off before the turn: as if never loaded
        // llama-cli's timings: the first turn evaluated its whole prompt before the first token
        expect(off.reply.timing?.promptTokens).toBeGreaterThan(1);
        expect(off.reply.timing?.firstTokenSeconds).toBeGreaterThan(0);
        expect(off.sampling).toMatchObject({temperature: 0, maxTokens: 48});

        await session.clear();
        session.stage((s) => s.setEnabled("sue", true));
        expect(session.steering!.hasPendingChanges).toBe(true);
        const on = await session.send(PROMPT);
        expect(on.steering).toEqual([{name: "sue", source: sue, coefficient: 1, enabled: true}]);
        expect(session.steering!.hasPendingChanges).toBe(false);
        expect(on.reply.text).not.toBe(plain);
    });

    it("under keep a change leaves the history's cache (stale); under reeval the history is evaluated again", async () => {
        for (const history of ["keep", "reeval"] as const) {
            const session = await open({vectors: [`${sue}:1`], history});
            await session.send(PROMPT);
            session.stage((s) => s.setCoefficient("sue", 1.5));
            const next = await session.send("Then");
            expect(next.reply.history, history).toMatchObject({policy: history, reevaluated: history === "reeval"});
            if (history === "keep") expect(next.reply.history!.staleTokens).toBeGreaterThan(0);
            else expect(next.reply.history!.staleTokens).toBe(0);
        }
    });

    /**
     * Under keep, `work` (trials or /calibrate, which evaluate or clear the cache) on a history that carries older
     * steering: afterwards the cache is as it was, and the next turn evaluates only its own prompt and reply.
     */
    const cacheKeptAcross = async (work: (session: Awaited<ReturnType<typeof open>>) => Promise<unknown>) => {
        const session = await open({vectors: [`${sue}:1`], history: "keep"});
        await session.send(PROMPT);
        session.stage((s) => s.setCoefficient("sue", 1.5));
        await session.send("Then");
        const before = session.contextUsage();
        expect(before.staleTokens).toBeGreaterThan(0); // the history carries older steering, which keep keeps
        const coefficient = session.steering!.state.get("sue").coefficient;
        await work(session);
        expect(session.steering!.state.get("sue").coefficient).toBe(coefficient);
        expect(session.contextUsage()).toEqual(before); // the same cache, the same stale part, nothing left to evaluate
        const next = await session.send("The end");
        expect(next.reply.history).toMatchObject({policy: "keep", reevaluated: false, staleTokens: before.staleTokens});
        // only the new prompt and the reply were evaluated: the history (before.used tokens) came from the cache
        expect(next.reply.timing!.promptTokens).toBeLessThan(10);
        expect(next.reply.history!.evaluatedTokens).toBeLessThan(before.used);
    };

    it("under keep, /sweep puts the history's cache back as it was: the next turn evaluates only its own prompt", async () => {
        await cacheKeptAcross(async (session) => expect(await session.sweep("sue", [0, 2], () => ({}))).toHaveLength(2));

        // the same under reeval: the trials leave nothing held, the steering comes back and the history is read again
        const reeval = await open({vectors: [`${sue}:1`], history: "reeval"});
        await reeval.send(PROMPT);
        await reeval.sweep("sue", [0], () => ({}));
        expect((await reeval.send("The end")).reply.history).toMatchObject({policy: "reeval", reevaluated: false});
    });

    it("under keep, /calibrate puts the history's cache back as the trials do, though its probes clear it", async () => {
        await cacheKeptAcross((session) => session.calibrate("sue"));
    });

    it("/compare answers the last prompt off and on and keeps one exchange; /sweep puts the steering back", async () => {
        const plain = (await (await open()).send(PROMPT)).reply.text;
        // under the chat's default policy, keep: the trials still read the history under their own steering
        const session = await open({vectors: [`${sue}:1`]});
        const first = await session.send(PROMPT);
        const result = await session.compare(() => ({}));
        expect(result.kind).toBe("done");
        if (result.kind !== "done") return;
        expect(result.on.reply.text).toBe(first.reply.text); // same history, same steering, greedy
        expect(result.off.text).not.toBe(result.on.reply.text);
        expect(result.off.text).toBe(plain); // "steering off" is the unsteered model, not the cache of a steered history
        expect(session.conversation.lastUserText()).toBe(PROMPT);
        const before = session.steering!.state.signature();
        const rows = await session.sweep("sue", [0, 1, 2], () => ({}));
        expect(rows.map((r) => r.coefficient)).toEqual([0, 1, 2]);
        expect(rows[0]!.text).toBe(result.off.text); // sue at 0 is no steering
        expect(rows[1]!.text).toBe(first.reply.text);
        expect(rows[2]!.text).not.toBe(rows[1]!.text); // each row's steering reads the whole prompt, as a fresh turn would
        expect(session.steering!.state.signature()).toBe(before);
        expect(session.steering!.hasPendingChanges).toBe(false);
        expect(session.conversation.lastUserText()).toBe(PROMPT);
    });

    it("--vector F@Xσ resolves to the coefficient the model's calibration gives; /steer reply changes the turn's policy", async () => {
        const session = await open({vectors: [`${sue}@0.1σ`]});
        const coefficient = session.steering!.state.get("sue").coefficient;
        // the panel's σ, once the calibration is loaded, reads the strength back; /vector set NAME Xσ sets one
        expect(session.sigmaOf(session.steering!.state.get("sue"))).toBeUndefined();
        await session.loadCalibration();
        expect(session.sigmaOf(session.steering!.state.get("sue"))).toBeCloseTo(0.1, 5);
        expect((await session.setStrength("sue", 0.2)).get("sue").coefficient).toBeCloseTo(2 * coefficient, 5);
        session.stage((s) => s.setCoefficient("sue", coefficient));
        expect(coefficient).toBeGreaterThan(0.5); // 1σ of sue on stories260K is a coefficient of about 7
        expect(coefficient).toBeLessThan(1);
        expect((await session.send(PROMPT)).policy).toBe("all");
        session.setSteerPolicy("reply");
        const reply = await session.send("Then");
        expect(reply.policy).toBe("reply");
        expect(reply.steering[0]).toMatchObject({name: "sue", enabled: true});
    });

    it("/vector add F@Xσ adds the vector at the coefficient --vector F@Xσ starts with", async () => {
        const fromFlag = (await open({vectors: [`${sue}@0.1σ`]})).steering!.state.get("sue").coefficient;
        const session = await open();
        await session.addVector(sue, {sigma: 0.1});
        expect(session.steering!.state.get("sue").coefficient).toBe(fromFlag);
        expect(fromFlag).toBeGreaterThan(0.5); // resolved through the calibration, not the 0 it was loaded at
    });

    it("the gauge of a steered reply: KL from the unsteered model grows with the strength; no gauge without steering", async () => {
        const kls: number[] = [];
        for (const c of [0.5, 2]) {
            await closeAll();
            const opened = await openSession(loaded, {mode: "raw", vectors: [`${sue}:${c}`], temperature: 0, maxTokens: 24, readout: true});
            const openedSessions = opened;
            try {
                const turn = await opened.session.send(PROMPT);
                const gauge = await opened.session.measure(turn);
                expect(gauge).toBeDefined();
                kls.push(gauge!.kl);
            } finally {
                openedSessions.session.conversation.dispose();
                await openedSessions.close();
            }
        }
        expect(kls[0]).toBeGreaterThan(0);
        expect(kls[1]).toBeGreaterThan(kls[0]!);
        const plain = await open({readout: true});
        expect(await plain.measure(await plain.send(PROMPT))).toBeUndefined();
    });

    it("/calibrate finds each way's limit, sets the vector's panel range, and leaves the conversation as it was", async () => {
        await closeAll();
        const opened = await openSession(loaded, {mode: "raw", vectors: [`${sue}:1`], temperature: 0.9, maxTokens: 24});
        try {
            const {session} = opened;
            await session.send(PROMPT);
            const points: number[] = [];
            const report = await session.calibrate("sue", {onPoint: (p) => points.push(p.sigma)});
            expect(points[0]).toBe(0); // the unsteered baseline first
            const range = session.steering!.state.get("sue").range!;
            expect(range.min).toBeLessThan(0);
            expect(range.max).toBeGreaterThan(0);
            expect(report).toContain(`panel range: coefficient ${range.min >= 0 ? "+" : ""}${range.min.toFixed(3)}`);
            expect(report).toMatch(/generation: temperature 0, seed 0, 48 tokens a reply/);
            expect(session.conversation.sampling).toMatchObject({temperature: 0.9, maxTokens: 24}); // the chat's own, back
            expect(session.conversation.lastUserText()).toBe(PROMPT);
            expect(session.steering!.state.get("sue")).toMatchObject({coefficient: 1, enabled: true});
        } finally {
            opened.session.conversation.dispose();
            await opened.close();
        }
    });

    it("/sweep with the control: each coefficient also with a seeded random direction of the vector's norms, both gauged", async () => {
        await closeAll();
        const opened = await openSession(loaded, {mode: "raw", vectors: [`${sue}:1`], temperature: 0, maxTokens: 24, readout: true});
        try {
            await opened.session.send(PROMPT);
            const rows = await opened.session.sweep("sue", [0, 1], () => ({}), {control: true});
            expect(rows.map((r) => [r.coefficient, r.control ?? false])).toEqual([[0, false], [0, true], [1, false], [1, true]]);
            expect(rows[1]!.text).toBe(rows[0]!.text); // at 0 neither steers
            expect(rows[3]!.text).not.toBe(rows[2]!.text); // the random direction is not the vector
            expect(rows[2]!.gauge!.kl).toBeGreaterThan(0);
            expect(rows[3]!.gauge!.kl).toBeGreaterThan(0);
            expect(opened.session.steering!.state.entries.map((e) => e.name)).toEqual(["sue"]); // the control is gone again
            const again = await opened.session.sweep("sue", [1], () => ({}), {control: true});
            expect(again[1]!.text).toBe(rows[3]!.text); // seeded: the same control every time
        } finally {
            opened.session.conversation.dispose();
            await opened.close();
        }
    });

    it("under reeval a staged change is evaluated in the background; a turn that starts meanwhile stops it and is exact", async () => {
        const exact = async (background: "none" | "awaited" | "interrupted") => {
            const session = await open({vectors: [`${sue}:1`], history: "reeval"});
            await session.send(PROMPT);
            session.stage((s) => s.setCoefficient("sue", 0.5));
            if (background === "awaited") {
                await session.reevaluateInBackground();
                expect(session.steering!.hasPendingChanges).toBe(false);
                expect(session.contextUsage().staleTokens).toBe(0);
            } else if (background === "interrupted") void session.reevaluateInBackground();
            const next = await session.send("Then");
            if (background === "awaited") expect(next.reply.history!.reevaluated).toBe(false); // nothing left to do
            return next.reply.text;
        };
        const plain = await exact("none");
        expect(await exact("awaited")).toBe(plain);
        expect(await exact("interrupted")).toBe(plain);
    });
});

