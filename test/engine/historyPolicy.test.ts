/**
 * What a steering change costs, by counting what node-llama-cpp evaluates (its sequence's token meter, and the
 * calls that evaluate tokens) — never by timing. A generated llama and stories260K on the CPU, each on a context
 * with a 64-token batch so a history of a few hundred tokens spans several batches.
 */
import type {LlamaContext, LlamaContextSequence} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it, vi} from "vitest";
import {steeringHooks} from "../../src/session/setupSteering.js";
import {createConversation, type Conversation, type ConversationMode, type ConversationSnapshot, type HistoryPolicy} from "../../src/engine/conversation.js";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {SteeringController} from "../../src/steering/steeringController.js";
import {storiesModel, vectorOf, writeVector} from "../helpers/steeringTestKit.js";
import {tinyModelPath} from "../helpers/tinyModel.js";

const BATCH = 64;

type Call = {method: string, tokens: number};

/** the calls of the rig whose turn runs now: the native generation loop records its runs there too */
let currentCalls: Call[] = [];
vi.mock("../../src/native/generationLoop.js", async (importOriginal) => {
    const original = await importOriginal<typeof import("../../src/native/generationLoop.js")>();
    return {...original, nativeGeneratorFor(sequence: LlamaContextSequence) {
        const found = original.nativeGeneratorFor(sequence);
        if (!("generate" in found)) return found;
        return {generate: (seq: LlamaContextSequence, request: Parameters<typeof found.generate>[1]) => {
            currentCalls.push({method: "generate", tokens: request.input.length});
            return found.generate(seq, request);
        }};
    }};
});

type Rig = {
    conversation: Conversation,
    controller: SteeringController,
    context: LlamaContext,
    sequence: LlamaContextSequence,
    /** every call that evaluated tokens, with how many */
    calls: Call[],
    /** tokens evaluated so far (node-llama-cpp's own meter) */
    evaluated(): number,
    dispose(): Promise<void>
};

/** A conversation on its own context (64-token batches) with a vector loaded, counting what it evaluates. */
async function rig(loaded: LoadedModel, vector: string, {history, mode = "raw", maxTokens = 8}: {history: HistoryPolicy, mode?: ConversationMode, maxTokens?: number}): Promise<Rig> {
    const context = await loaded.model.createContext({contextSize: 1024, batchSize: BATCH, threads: loaded.llama.cpuMathCores});
    const controller = SteeringController.create(context, loaded.model);
    await controller.addVector(vector, 0.8);
    let sequence!: LlamaContextSequence;
    const getSequence = context.getSequence.bind(context);
    context.getSequence = (options) => (sequence = getSequence(options));
    const conversation = createConversation({...loaded, context},
        {mode, history, sampling: {temperature: 0, maxTokens}, ...steeringHooks(controller)});
    const calls: Call[] = [];
    currentCalls = calls;
    for (const method of ["evaluateWithoutGeneratingNewTokens", "evaluateWithMetadata"] as const) {
        const original = sequence[method].bind(sequence) as (...args: unknown[]) => unknown;
        Object.defineProperty(sequence, method, {configurable: true, writable: true, value: (tokens: unknown[], ...rest: unknown[]) => {
            calls.push({method, tokens: tokens.length});
            return original(tokens, ...rest);
        }});
    }
    const evaluated = () => sequence.tokenMeter.usedInputTokens + sequence.tokenMeter.usedOutputTokens;
    return {conversation, controller, context, sequence, calls, evaluated, async dispose() {
        conversation.dispose();
        await context.dispose();
    }};
}

/** Runs one turn and says what it evaluated, with the cache's size before and after. */
async function turn(r: Rig, text: string) {
    const usedBefore = r.conversation.contextUsage().used;
    const evaluatedBefore = r.evaluated();
    r.calls.length = 0;
    currentCalls = r.calls;
    const reply = await r.conversation.send(text);
    return {reply, usedBefore, usedAfter: r.conversation.contextUsage().used, evaluated: r.evaluated() - evaluatedBefore,
        calls: [...r.calls]};
}

const nudge = (r: Rig, by = 0.3) => r.controller.update((s) => s.setCoefficient(s.entries[0]!.name, s.entries[0]!.coefficient + by));

/** the calls before generation (prefill batches) and the one that generates */
function split(calls: Call[]) {
    return {ahead: calls.filter((c) => c.method === "evaluateWithoutGeneratingNewTokens"), generating: calls.filter((c) => c.method === "evaluateWithMetadata" || c.method === "generate")};
}

/** Talks through the prompts (greedy) and returns the history, for conversations to start from. */
async function buildHistory(loaded: LoadedModel, vector: string, mode: ConversationMode, texts: string[]): Promise<ConversationSnapshot> {
    const r = await rig(loaded, vector, {history: "reeval", mode});
    try {
        for (const text of texts) await r.conversation.send(text);
        return r.conversation.snapshot();
    } finally {
        await r.dispose();
    }
}

/** A conversation holding that history, evaluated (in batches) under the rig's steering. */
async function rigWithHistory(loaded: LoadedModel, vector: string, options: Parameters<typeof rig>[2],
    history: ConversationSnapshot): Promise<Rig> {
    const r = await rig(loaded, vector, options);
    r.conversation.restore(history);
    await r.conversation.reevaluate();
    expect(r.conversation.contextUsage().used).toBeGreaterThan(4 * BATCH);
    return r;
}

const prompts = {
    synthetic: Array.from({length: 3}, (_, i) => `the cat sat on the mat and the dog ran in the park ${"and the bird sang ".repeat(4 * i + 14)}`),
    stories: Array.from({length: 3}, (_, i) => `Once upon a time there was a little girl named Lily. ${"She liked to play in the park with her dog. ".repeat(i + 5)}`)
};

// each test talks through a few turns on a CPU shared with other work: room beyond the default two minutes
const MODEL_TESTS = {timeout: 300_000};

describe("the cost of a steering change (generated llama, raw mode)", MODEL_TESTS, () => {
    let loaded: LoadedModel;
    let vector: string;
    /** a history made turn by turn, for the conversations that start from it */
    let built: ConversationSnapshot;
    beforeAll(async () => {
        loaded = await loadModel(tinyModelPath({nEmbd: 32, nLayer: 4, contextLength: 1024, seed: 11}), {gpu: false, contextSize: 256});
        vector = writeVector(vectorOf(32, [1, 2, 3], (l, i) => Math.sin(l * 7 + i) * 0.6), "tilt.gguf");
        built = await buildHistory(loaded, vector, "raw", prompts.synthetic);
    });
    afterAll(async () => loaded?.dispose());

    const withHistory = (history: HistoryPolicy) => rigWithHistory(loaded, vector, {history}, built);

    it("under reeval a change evaluates the history once, in full batches, and the next unchanged turn only the new tokens", async () => {
        // a history made turn by turn, so the cache holds the generated tokens, not the transcript's tokenization
        const r = await rig(loaded, vector, {history: "reeval"});
        for (const text of prompts.synthetic) await r.conversation.send(text);
        try {
            const unchanged = await turn(r, "the dog sat");
            // no cached token is evaluated again: what was evaluated is what the cache grew by
            expect(unchanged.evaluated).toBe(unchanged.usedAfter - unchanged.usedBefore);

            nudge(r);
            const changed = await turn(r, "a bird sang");
            // everything in the cache was evaluated in this turn, exactly once
            expect(changed.evaluated).toBe(changed.usedAfter);
            expect(changed.reply.history).toMatchObject({policy: "reeval", reevaluated: true, staleTokens: 0, evaluatedTokens: changed.usedAfter});
            const {ahead, generating} = split(changed.calls);
            // full batches ahead, then one call that evaluates the last (partial) batch and generates
            expect(ahead.length).toBeGreaterThanOrEqual(4);
            expect(ahead.every((c) => c.tokens === BATCH)).toBe(true);
            expect(generating).toHaveLength(1);
            expect(generating[0]!.tokens).toBeGreaterThan(0);
            expect(generating[0]!.tokens).toBeLessThanOrEqual(BATCH);
            const promptTokens = ahead.length * BATCH + generating[0]!.tokens;
            // the prompt once, plus the reply's tokens (the last sampled one is never evaluated)
            expect(changed.evaluated).toBe(promptTokens + changed.reply.tokenCount - 1);

            const after = await turn(r, "the sun is red");
            expect(after.evaluated).toBe(after.usedAfter - after.usedBefore);
            expect(after.evaluated).toBeLessThan(BATCH);
            expect(after.reply.history).toMatchObject({reevaluated: false, staleTokens: 0});
        } finally {
            await r.dispose();
        }
    });

    it("under keep a change evaluates no history token again, and the reply says how many it read were stale", async () => {
        const r = await withHistory("keep");
        try {
            nudge(r);
            const changed = await turn(r, "a bird sang");
            expect(changed.evaluated).toBe(changed.usedAfter - changed.usedBefore);
            expect(changed.evaluated).toBeLessThan(BATCH);
            expect(changed.reply.history).toMatchObject({policy: "keep", reevaluated: false, staleTokens: changed.usedBefore});
            // from the first stale token on, every token differs from a fresh evaluation: the new ones read the old
            expect(r.conversation.contextUsage().staleTokens).toBe(changed.usedAfter);
            const next = await turn(r, "the sun is red");
            expect(next.evaluated).toBe(next.usedAfter - next.usedBefore);

            // back to the steering the history was evaluated under: it is valid again, up to the first token
            // evaluated under the nudged steering (from there on every token read one that was)
            nudge(r, -0.3);
            const back = await turn(r, "the moon");
            expect(back.evaluated).toBe(back.usedAfter - back.usedBefore);
            expect(back.reply.history).toMatchObject({staleTokens: back.usedBefore - changed.usedBefore});
            expect(r.conversation.contextUsage().staleTokens).toBe(back.usedAfter - changed.usedBefore);
        } finally {
            await r.dispose();
        }
    });

    it("under reeval the reply after a change equals a fresh conversation's with the same history and steering; under keep it does not", async () => {
        const reeval = await withHistory("reeval");
        const keep = await withHistory("keep");
        try {
            const history = reeval.conversation.snapshot();
            expect(keep.conversation.snapshot()).toEqual(history);
            nudge(reeval);
            nudge(keep);
            const afterReeval = await reeval.conversation.send("a bird sang");
            const afterKeep = await keep.conversation.send("a bird sang");

            const fresh = await rig(loaded, vector, {history: "reeval"});
            try {
                nudge(fresh);
                fresh.conversation.restore(history);
                const replay = await fresh.conversation.send("a bird sang");
                expect(afterReeval.tokens).toEqual(replay.tokens);
                expect(afterReeval.meanLogProb).toBe(replay.meanLogProb);
                // the history's keys and values still carry the old steering under keep, so the reply reads it differently
                expect(afterKeep.meanLogProb).not.toBe(replay.meanLogProb);
            } finally {
                await fresh.dispose();
            }
        } finally {
            await reeval.dispose();
            await keep.dispose();
        }
    });

    it("reevaluate() brings a kept history up to date in full batches; Esc (the signal) stops it between batches", async () => {
        const r = await withHistory("keep");
        try {
            nudge(r);
            await r.conversation.send("a bird sang");
            const stale = r.conversation.contextUsage().staleTokens;
            expect(stale).toBeGreaterThan(4 * BATCH);

            const stop = new AbortController();
            const progress: number[] = [];
            r.calls.length = 0;
            const stopped = await r.conversation.reevaluate({
                signal: stop.signal,
                onProgress: (done) => { progress.push(done); stop.abort(); }
            });
            expect(stopped).toMatchObject({stopped: true, evaluated: BATCH});
            expect(progress).toEqual([BATCH]);
            expect(r.calls).toEqual([{method: "evaluateWithoutGeneratingNewTokens", tokens: BATCH}]);
            // what was evaluated is kept, valid under the current steering; the stale rest is gone
            expect(r.conversation.contextUsage()).toMatchObject({used: BATCH, staleTokens: 0});

            const before = r.evaluated();
            r.calls.length = 0;
            const done = await r.conversation.reevaluate();
            expect(done.stopped).toBe(false);
            expect(r.calls.every((c) => c.method === "evaluateWithoutGeneratingNewTokens" && c.tokens <= BATCH)).toBe(true);
            expect(r.calls.slice(0, -1).every((c) => c.tokens === BATCH)).toBe(true);
            expect(r.evaluated() - before).toBe(done.evaluated);
            expect(r.conversation.contextUsage()).toMatchObject({used: BATCH + done.evaluated, staleTokens: 0});

            const next = await turn(r, "the sun is red");
            expect(next.evaluated).toBe(next.usedAfter - next.usedBefore);
            expect(next.evaluated).toBeLessThan(BATCH);
            expect(next.reply.history).toMatchObject({staleTokens: 0});
        } finally {
            await r.dispose();
        }
    });
});

describe("the cost of a steering change in chat mode (stories260K through its chat template)", MODEL_TESTS, () => {
    let loaded: LoadedModel;
    let vector: string;
    let built: ConversationSnapshot;
    beforeAll(async () => {
        loaded = await loadModel(storiesModel, {gpu: false, contextSize: 256});
        vector = writeVector(vectorOf(64, [1, 2, 3, 4], (l, i) => Math.cos(l * 3 + i) * 0.4), "tilt64.gguf");
        built = await buildHistory(loaded, vector, "chat", prompts.stories);
    });
    afterAll(async () => loaded?.dispose());

    const withHistory = (history: HistoryPolicy) => rigWithHistory(loaded, vector, {history, mode: "chat"}, built);

    it("a dropped cache (after trials) counts the history as to be evaluated again, not as an empty context, until the next turn", async () => {
        const r = await withHistory("keep");
        try {
            await turn(r, "The dog");
            const full = r.conversation.contextUsage();
            expect(full.used).toBeGreaterThan(BATCH);
            expect(full.unevaluated ?? 0).toBe(0);
            await r.conversation.forgetEvaluation();
            const dropped = r.conversation.contextUsage();
            expect(dropped.used).toBeGreaterThanOrEqual(full.used - 1); // the history, as the next turn's prompt begins
            expect(dropped.unevaluated).toBe(dropped.used);
            const next = await turn(r, "The cat");
            expect(next.evaluated).toBe(next.usedAfter); // the whole history was evaluated again, as the gauge said
            expect(r.conversation.contextUsage().unevaluated ?? 0).toBe(0);
            await r.conversation.clear();
            expect(r.conversation.contextUsage()).toMatchObject({used: 0});
            expect(r.conversation.contextUsage().unevaluated ?? 0).toBe(0);
        } finally {
            await r.dispose();
        }
    });

    it("under reeval the templated history is evaluated once, in full batches ahead, and the next turn evaluates only new tokens", async () => {
        const r = await withHistory("reeval");
        try {
            const unchanged = await turn(r, "The dog");
            expect(unchanged.evaluated).toBe(unchanged.usedAfter - unchanged.usedBefore);

            nudge(r);
            const changed = await turn(r, "The cat");
            expect(changed.evaluated).toBe(changed.usedAfter);
            expect(changed.reply.history).toMatchObject({policy: "reeval", reevaluated: true});
            const {ahead} = split(changed.calls);
            expect(ahead.length).toBeGreaterThanOrEqual(4);
            expect(ahead.slice(0, -1).every((c) => c.tokens === BATCH)).toBe(true);

            const after = await turn(r, "The bird");
            expect(after.evaluated).toBe(after.usedAfter - after.usedBefore);
            expect(after.evaluated).toBeLessThan(BATCH);
        } finally {
            await r.dispose();
        }
    });

    it("under keep no history token is evaluated again", async () => {
        const keep = await withHistory("keep");
        try {
            nudge(keep);
            const kept = await turn(keep, "The cat");
            expect(kept.evaluated).toBe(kept.usedAfter - kept.usedBefore);
            expect(kept.reply.history).toMatchObject({policy: "keep", staleTokens: kept.usedBefore});
        } finally {
            await keep.dispose();
        }
    });

    it("under reeval the reply after a change equals a fresh chat's with the same history and steering", async () => {
        const reeval = await withHistory("reeval");
        try {
            const history = reeval.conversation.snapshot();
            nudge(reeval);
            const afterReeval = await reeval.conversation.send("The cat");

            const fresh = await rig(loaded, vector, {history: "reeval", mode: "chat"});
            try {
                nudge(fresh);
                fresh.conversation.restore(history);
                const replay = await fresh.conversation.send("The cat");
                expect(afterReeval.text).toBe(replay.text);
                expect(afterReeval.meanLogProb).toBe(replay.meanLogProb);
            } finally {
                await fresh.dispose();
            }
        } finally {
            await reeval.dispose();
        }
    });
});
