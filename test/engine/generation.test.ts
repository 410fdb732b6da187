/**
 * Generation on real models through the real runtime: the tiny synthetic llama (always available) and stories260K
 * (the shipped demo). Greedy decoding must be deterministic, maxTokens and AbortSignals must stop generation with
 * the right stop reason keeping what was streamed, and chat mode must work on a model without a chat template.
 * IncrementalDetokenizer is checked on its own with a fake byte-level detokenizer.
 */
import {readFileSync} from "node:fs";
import path from "node:path";
import type {Token} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {createConversation, type Conversation, type ConversationOptions, type Reply} from "../../src/engine/conversation.js";
import {tokenizePrompt} from "../../src/engine/generateTokens.js";
import {IncrementalDetokenizer} from "../../src/engine/incrementalDetokenizer.js";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {nativeGeneratorFor} from "../../src/native/generationLoop.js";
import {repoRoot, storiesModelPath, tinyModelPath} from "../helpers/tinyModel.js";

type Fixture = {cases: {prompt: string, maxTokens: number, vectors?: string[], expected: string}[]};
const fixture = JSON.parse(readFileSync(path.join(repoRoot, "test", "fixtures", "llama-completion.json"), "utf8")) as Fixture;

const models = [
    {label: "the tiny synthetic llama", file: () => tinyModelPath({seed: 7}), prompt: "the cat sat on the"},
    {label: "stories260K", file: () => storiesModelPath, prompt: "Once upon a time"}
];

for (const m of models) {
    describe(`raw generation with ${m.label}`, () => {
        let loaded: LoadedModel;
        beforeAll(async () => {
            loaded = await loadModel(m.file(), {gpu: false});
        });
        afterAll(async () => {
            await loaded?.dispose();
        });

        /** one fresh conversation (the context has a single sequence, so it is disposed after use) */
        async function withConversation<T>(options: Partial<ConversationOptions>, work: (c: Conversation) => Promise<T>): Promise<T> {
            const conversation = createConversation(loaded, {mode: "raw", ...options, sampling: {temperature: 0, maxTokens: 24, ...options.sampling}});
            try {
                return await work(conversation);
            } finally {
                conversation.dispose();
            }
        }

        async function sendCollecting(c: Conversation, text: string, signal?: AbortSignal, onChunk?: (chunks: string[]) => void) {
            const chunks: string[] = [];
            const reply = await c.send(text, {signal, onText: (chunk) => { chunks.push(chunk); onChunk?.(chunks); }});
            return {reply, chunks};
        }

        it("loads: model, context and a display name", () => {
            expect(loaded.modelName).toBe(path.basename(m.file()));
            expect(loaded.modelPath).toBe(path.resolve(m.file()));
            expect(loaded.context.contextSize).toBeGreaterThan(0);
            expect(loaded.context.contextSize).toBeLessThanOrEqual(loaded.model.trainContextSize);
            expect(loaded.model.tokenize(m.prompt).length).toBeGreaterThan(0);
        });

        it("greedy replies are the same in two fresh conversations, and the streamed chunks make up the text", async () => {
            const first = await withConversation({}, (c) => sendCollecting(c, m.prompt));
            const second = await withConversation({}, (c) => sendCollecting(c, m.prompt));
            expect(first.reply.text.trim()).not.toBe("");
            expect(second.reply.text).toBe(first.reply.text);
            expect(second.reply.tokens).toEqual(first.reply.tokens);
            expect(first.chunks.join("")).toBe(first.reply.text);
            expect(first.reply.meanLogProb).toBeLessThanOrEqual(0);
            // one reply meter for raw and chat: the prompt evaluated before the first token, and a generation rate
            expect(first.reply.timing?.promptTokens).toBeGreaterThan(0);
            expect(first.reply.timing?.firstTokenSeconds).toBeGreaterThan(0);
            if (first.reply.tokenCount > 1) expect(first.reply.tokensPerSecond).toBeGreaterThan(0);
        });

        it("stops at maxTokens with stopReason maxTokens and reports the token count", async () => {
            const {reply} = await withConversation({sampling: {temperature: 0, maxTokens: 5}}, (c) => sendCollecting(c, m.prompt));
            // a model could legitimately end early with EOS; neither of these does within 5 tokens
            expect(reply.stopReason).toBe("maxTokens");
            expect(reply.tokenCount).toBe(5);
            expect(reply.tokens).toHaveLength(5);
            // the 5-token reply is the start of the longer greedy reply
            const longer = await withConversation({sampling: {temperature: 0, maxTokens: 12}}, (c) => c.send(m.prompt));
            expect(longer.tokenCount).toBe(12);
            expect(longer.tokens.slice(0, 5)).toEqual(reply.tokens);
            expect(longer.text.startsWith(reply.text)).toBe(true);
        });

        it("an already-aborted signal returns at once with stopReason aborted and no text", async () => {
            const controller = new AbortController();
            controller.abort();
            const {reply, chunks} = await withConversation({}, (c) => sendCollecting(c, m.prompt, controller.signal));
            expect(reply.stopReason).toBe("aborted");
            expect(reply.text).toBe("");
            expect(reply.tokenCount).toBe(0);
            expect(chunks).toEqual([]);
        });

        it("aborting mid-stream stops with stopReason aborted and keeps exactly what was streamed", async () => {
            const full = await withConversation({}, (c) => c.send(m.prompt));
            const controller = new AbortController();
            const {reply, chunks} = await withConversation({}, (c) =>
                sendCollecting(c, m.prompt, controller.signal, (soFar) => { if (soFar.length === 3) controller.abort(); }));
            expect(reply.stopReason).toBe("aborted");
            expect(chunks.join("")).toBe(reply.text);
            expect(reply.text).not.toBe("");
            expect(reply.tokenCount).toBeLessThan(full.tokenCount);
            expect(full.text.startsWith(reply.text)).toBe(true);
            expect(full.tokens.slice(0, reply.tokenCount)).toEqual(reply.tokens);
        });

        it("a stop leaves the cache holding the prompt and the reply's tokens but the last, whatever was sampled past it", async () => {
            const controller = new AbortController();
            await withConversation({}, async (c) => {
                const {reply} = await sendCollecting(c, m.prompt, controller.signal,
                    (soFar) => { if (soFar.length === 2) controller.abort(); });
                expect(reply.stopReason).toBe("aborted");
                expect(c.contextUsage().used).toBe(tokenizePrompt(loaded.model, m.prompt).length + reply.tokenCount - 1);
            });
        });

        it("a second turn continues the transcript; clear() forgets it and resets the context usage", async () => {
            await withConversation({}, async (c) => {
                expect(c.contextUsage()).toEqual({used: 0, size: loaded.context.contextSize, staleTokens: 0});
                const first = await c.send(m.prompt);
                const afterFirst = c.contextUsage().used;
                // the prompt's tokens plus the reply's (the last generated token is not evaluated)
                expect(afterFirst).toBeGreaterThanOrEqual(first.tokenCount);
                expect(c.lastUserText()).toBe(m.prompt);
                await c.send("and");
                expect(c.contextUsage().used).toBeGreaterThan(afterFirst);
                await c.clear();
                expect(c.contextUsage().used).toBe(0);
                expect(c.lastUserText()).toBeUndefined();
                const again = await c.send(m.prompt);
                expect(again.text).toBe(first.text);
            });
        });

        it("a reply that runs out of context stops with stopReason contextFull at the last free position", async () => {
            // node-llama-cpp pads small context sizes up (to 256), so fill the context with a long prompt instead
            const small = await loaded.model.createContext({contextSize: 256, threads: loaded.llama.cpuMathCores});
            try {
                let prompt = m.prompt;
                while (tokenizePrompt(loaded.model, prompt + " " + m.prompt).length < small.contextSize - 8) prompt += " " + m.prompt;
                const promptTokens = tokenizePrompt(loaded.model, prompt).length;
                const room = small.contextSize - promptTokens;
                expect(room).toBeGreaterThan(0);
                const c = createConversation({...loaded, context: small}, {mode: "raw", sampling: {temperature: 0, maxTokens: room + 20}});
                try {
                    const reply: Reply = await c.send(prompt);
                    expect(reply.stopReason).toBe("contextFull");
                    expect(reply.tokenCount).toBe(room);
                    expect(c.contextUsage().used).toBeLessThanOrEqual(small.contextSize);
                } finally {
                    c.dispose();
                }
            } finally {
                await small.dispose();
            }
        });

        it("the native generation loop gives node-llama-cpp's loop's tokens, greedy and seeded, two turns running", async () => {
            const sampled = {temperature: 0.8, seed: 3, topK: 40, topP: 0.95, minP: 0.05};
            const run = (native: boolean) => withConversation({sampling: {...sampled, maxTokens: 40}}, async (c) => {
                const saved = process.env.STEER_CHAT_NATIVE_LOOP;
                process.env.STEER_CHAT_NATIVE_LOOP = native ? "1" : "0";
                try {
                    const first = await c.send(m.prompt);
                    const second = await c.send(m.prompt);
                    return [first, second, c.contextUsage().used] as const;
                } finally {
                    if (saved == null) delete process.env.STEER_CHAT_NATIVE_LOOP;
                    else process.env.STEER_CHAT_NATIVE_LOOP = saved;
                }
            });
            const [native, nodeLoop] = [await run(true), await run(false)];
            for (const turn of [0, 1] as const) {
                expect(native[turn].tokens).toEqual(nodeLoop[turn].tokens);
                expect(native[turn].text).toBe(nodeLoop[turn].text);
                expect(native[turn].stopReason).toBe(nodeLoop[turn].stopReason);
                // node-llama-cpp sums the softmax in float over the sorted vocabulary, the native loop in double
                expect(native[turn].meanLogProb!).toBeCloseTo(nodeLoop[turn].meanLogProb!, 4);
            }
            // the second turn read the first from the cache both ways: the sequence's bookkeeping is the same
            expect(native[2]).toBe(nodeLoop[2]);
            const again = await run(true);
            expect(again[0].tokens).toEqual(native[0].tokens);
        });
    });
}

describe("log-probabilities from the native loop (stories260K, a vocabulary of 512)", () => {
    let loaded: LoadedModel;
    beforeAll(async () => {
        loaded = await loadModel(storiesModelPath, {gpu: false});
    });
    afterAll(async () => {
        await loaded?.dispose();
    });

    type Step = {token: number, logprob: number, top: {token: number, logprob: number}[]};
    /** one run of the loop on a cleared sequence: its tokens, the log-probabilities given to onTokens, and its result */
    async function run(topLogprobs: number | undefined, sampling = {temperature: 0, topK: 40, topP: 0.95, minP: 0, seed: 1}) {
        const sequence = loaded.context.getSequence();
        try {
            const native = nativeGeneratorFor(sequence);
            if (!("generate" in native)) throw new Error(`no native loop: ${native.reason}`);
            const tokens: number[] = [];
            const steps: Step[] = [];
            let calls = {withLogprobs: 0, without: 0};
            const result = await native.generate(sequence, {
                input: tokenizePrompt(loaded.model, "Once upon a time"), maxTokens: 24, sampling,
                ...(topLogprobs != null ? {topLogprobs} : {}),
                onTokens(sampled, _confidences, logprobs, topIds, topValues) {
                    if (logprobs == null) calls = {...calls, without: calls.without + 1};
                    else calls = {...calls, withLogprobs: calls.withLogprobs + 1};
                    for (let i = 0; i < sampled.length; i++) {
                        tokens.push(sampled[i]!);
                        if (logprobs == null || topIds == null || topValues == null) continue;
                        const n = topLogprobs!;
                        steps.push({token: sampled[i]!, logprob: logprobs[i]!,
                            top: Array.from({length: n}, (_, k) => ({token: topIds[i * n + k]!, logprob: topValues[i * n + k]!}))});
                    }
                }
            });
            return {tokens, steps, result, calls};
        } finally {
            sequence.dispose();
        }
    }

    it("computes nothing unless asked: no log-probabilities handed over, no step taking the top-N path", async () => {
        const plain = await run(undefined);
        expect(plain.tokens.length).toBe(24);
        expect(plain.result.logprobSteps).toBe(0);
        expect(plain.calls.withLogprobs).toBe(0);
        expect(plain.steps).toEqual([]);
        const asked = await run(5);
        // asked, every step computes them, and the tokens are the same
        expect(asked.result.logprobSteps).toBe(24);
        expect(asked.calls.without).toBe(0);
        expect(asked.tokens).toEqual(plain.tokens);
        expect(asked.steps.map((s) => s.token)).toEqual(plain.tokens);
    });

    it("greedy: the chosen token is the top one, with its log-probability; the top 20 are sorted, ≤ 0, and sum to at most 1", async () => {
        const {steps} = await run(20);
        expect(steps.length).toBe(24);
        for (const step of steps) {
            expect(step.top).toHaveLength(20);
            expect(step.top[0]!.token).toBe(step.token);
            expect(step.logprob).toBe(step.top[0]!.logprob);
            for (let k = 1; k < step.top.length; k++) expect(step.top[k]!.logprob).toBeLessThanOrEqual(step.top[k - 1]!.logprob);
            for (const t of step.top) expect(t.logprob).toBeLessThanOrEqual(0);
            expect(new Set(step.top.map((t) => t.token)).size).toBe(20);
            const mass = step.top.reduce((sum, t) => sum + Math.exp(t.logprob), 0);
            expect(mass).toBeGreaterThan(0);
            expect(mass).toBeLessThanOrEqual(1 + 1e-6);
        }
    });

    it("the whole vocabulary sums to 1, and a sampled token's log-probability is the model's, not the sampler chain's", async () => {
        const {steps} = await run(512, {temperature: 0.9, topK: 10, topP: 0.9, minP: 0, seed: 5});
        expect(steps.length).toBeGreaterThan(0);
        for (const step of steps) {
            expect(step.top.reduce((sum, t) => sum + Math.exp(t.logprob), 0)).toBeCloseTo(1, 5);
            expect(new Set(step.top.map((t) => t.token)).size).toBe(512);
            expect(step.top.find((t) => t.token === step.token)!.logprob).toBeCloseTo(step.logprob, 6);
        }
        // a seeded run gives the same tokens with log-probabilities as without
        const plain = await run(undefined, {temperature: 0.9, topK: 10, topP: 0.9, minP: 0, seed: 5});
        expect(steps.map((s) => s.token)).toEqual(plain.tokens);
    });

    it("refuses a top count past the vocabulary", async () => {
        await expect(run(513)).rejects.toThrow(/topLogprobs/);
    });
});

describe("in-process raw generation with stories260K matches llama.cpp", () => {
    let loaded: LoadedModel;
    beforeAll(async () => {
        loaded = await loadModel(storiesModelPath, {gpu: false});
    });
    afterAll(async () => {
        await loaded?.dispose();
    });

    for (const c of fixture.cases.filter((x) => x.vectors == null)) {
        it(`${JSON.stringify(c.prompt)}, ${c.maxTokens} tokens`, async () => {
            const conversation = createConversation(loaded, {mode: "raw", sampling: {temperature: 0, maxTokens: c.maxTokens}});
            try {
                const reply = await conversation.send(c.prompt);
                expect(reply.text).toBe(c.expected);
            } finally {
                conversation.dispose();
            }
        });
    }
});

describe("chat mode on the tiny model (no chat template: node-llama-cpp falls back to a general wrapper)", () => {
    let loaded: LoadedModel;
    beforeAll(async () => {
        loaded = await loadModel(tinyModelPath({seed: 7}), {gpu: false});
    });
    afterAll(async () => {
        await loaded?.dispose();
    });

    it("gives a streamed reply; clear() resets the context usage and the history", async () => {
        const c = createConversation(loaded, {mode: "chat", systemPrompt: "be kind", sampling: {temperature: 0, maxTokens: 6}});
        try {
            expect(c.mode).toBe("chat");
            const chunks: string[] = [];
            const reply = await c.send("the cat sat", {onText: (chunk) => chunks.push(chunk)});
            expect(reply.text.trim()).not.toBe("");
            expect(chunks.join("")).toBe(reply.text);
            expect(reply.tokenCount).toBeGreaterThan(0);
            expect(reply.tokenCount).toBeLessThanOrEqual(6);
            expect(["maxTokens", "eos"]).toContain(reply.stopReason);
            // timed by the same meter as raw mode: the prompt the wrapper evaluated, then the generation rate
            expect(reply.timing?.promptTokens).toBeGreaterThan(0);
            expect(reply.timing?.firstTokenSeconds).toBeGreaterThan(0);
            if (reply.tokenCount > 1) expect(reply.tokensPerSecond).toBeGreaterThan(0);
            expect(c.contextUsage().used).toBeGreaterThan(0);
            expect(c.lastUserText()).toBe("the cat sat");
            expect(c.systemPrompt).toBe("be kind");

            await c.clear();
            expect(c.contextUsage().used).toBe(0);
            expect(c.lastUserText()).toBeUndefined();
            expect(c.systemPrompt).toBe("be kind");
            // greedy: the same first turn again gives the same reply
            const again = await c.send("the cat sat");
            expect(again.text).toBe(reply.text);
        } finally {
            c.dispose();
        }
    });

    it("a chat reply carries the coherence gauge: the mean log-probability of its sampled tokens", async () => {
        const gauge = async () => {
            const c = createConversation(loaded, {mode: "chat", systemPrompt: "be kind", sampling: {temperature: 0.8, seed: 3, maxTokens: 12}});
            try {
                const first = await c.send("the cat sat");
                const second = await c.send("the dog ran");
                return [first.meanLogProb, second.meanLogProb];
            } finally {
                c.dispose();
            }
        };
        const [first, second] = await gauge();
        for (const value of [first, second]) {
            expect(value).toBeDefined();
            expect(Number.isFinite(value)).toBe(true);
            expect(value!).toBeLessThan(0); // sampling at 0.8 over a random model's vocabulary is never certain
        }
        expect(second).not.toBe(first); // each reply's own record, not a running total
        expect(await gauge()).toEqual([first, second]); // seeded: the same reply has the same gauge
    });

    it("aborting a chat reply mid-stream stops it with stopReason aborted, keeping the streamed text", async () => {
        const c = createConversation(loaded, {mode: "chat", systemPrompt: "be kind", sampling: {temperature: 0, maxTokens: 40}});
        try {
            const controller = new AbortController();
            const chunks: string[] = [];
            const reply = await c.send("the cat sat", {signal: controller.signal, onText: (chunk) => {
                chunks.push(chunk);
                if (chunks.length === 2) controller.abort();
            }});
            expect(reply.stopReason).toBe("aborted");
            expect(chunks.length).toBeGreaterThanOrEqual(2);
            expect(reply.text).toBe(chunks.join(""));
            expect(reply.tokenCount).toBeLessThan(40);
        } finally {
            c.dispose();
        }
    });

    // regression: node-llama-cpp's stopOnAbortSignal only applies once generation has started, so a signal aborted
    // before that (Esc/Ctrl+C right after Enter) used to make send() throw an AbortError (fixed in df62447)
    it("aborting a chat reply at any moment, even before generation starts, gives stopReason aborted and keeps the text", async () => {
        const schedules: [string, (abort: () => void) => void][] = [
            ["synchronously after send()", (abort) => abort()],
            ["on the next macrotask", (abort) => setImmediate(abort)],
            // these two are about time itself: an abort at some moment in the prefill or the reply, whichever it is
            ["after 1 ms", (abort) => setTimeout(abort, 1)],
            ["after 20 ms", (abort) => setTimeout(abort, 20)]
        ];
        for (const [when, schedule] of schedules) {
            const c = createConversation(loaded, {mode: "chat", systemPrompt: "be kind", sampling: {temperature: 0, maxTokens: 200}});
            try {
                const controller = new AbortController();
                const chunks: string[] = [];
                const sending = c.send("the cat sat", {signal: controller.signal, onText: (chunk) => chunks.push(chunk)});
                schedule(() => controller.abort());
                const reply = await sending;
                expect(reply.stopReason, when).toBe("aborted");
                expect(reply.text, when).toBe(chunks.join(""));
                expect(reply.tokenCount, when).toBeLessThan(200);
            } finally {
                c.dispose();
            }
        }
    });

    it("an already-aborted signal stops a chat reply with stopReason aborted (like raw mode)", async () => {
        const c = createConversation(loaded, {mode: "chat", systemPrompt: "be kind", sampling: {temperature: 0, maxTokens: 6}});
        try {
            const controller = new AbortController();
            controller.abort();
            const reply = await c.send("the cat sat", {signal: controller.signal});
            expect(reply.stopReason).toBe("aborted");
            expect(reply.text).toBe("");
        } finally {
            c.dispose();
        }
    });

    // regression: without --system a fresh chat carries node-llama-cpp's default system prompt, and clear() used to
    // drop it, so the same first turn was answered differently after /clear (fixed in df62447)
    it("without a system prompt, clear() gives back the state of a fresh conversation", async () => {
        const c = createConversation(loaded, {mode: "chat", sampling: {temperature: 0, maxTokens: 4}});
        try {
            const fresh = await c.send("the cat sat");
            const usedFresh = c.contextUsage().used;
            await c.clear();
            const afterClear = await c.send("the cat sat");
            expect(c.contextUsage().used).toBe(usedFresh);
            expect(afterClear.text).toBe(fresh.text);
        } finally {
            c.dispose();
        }
    });
});

describe("IncrementalDetokenizer", () => {
    /** a byte-level vocabulary: token n is the byte n; decoding invalid or cut UTF-8 gives U+FFFD like llama.cpp */
    const bytes = (text: string) => [...Buffer.from(text, "utf8")] as Token[];
    const calls: {tokens: Token[], lastTokens: Token[] | undefined}[] = [];
    const fake = (tokens: readonly Token[], _special?: boolean, lastTokens?: readonly Token[]) => {
        calls.push({tokens: [...tokens], lastTokens: lastTokens && [...lastTokens]});
        return Buffer.from(tokens as unknown as number[]).toString("utf8");
    };

    function pushAll(detok: IncrementalDetokenizer, tokens: Token[]) {
        return tokens.map((t) => detok.push(t));
    }

    it("passes ASCII through one token at a time", () => {
        expect(pushAll(new IncrementalDetokenizer(fake), bytes("abc"))).toEqual(["a", "b", "c"]);
    });

    it("holds back the bytes of a 2-, 3- and 4-byte character until it is complete", () => {
        const detok = new IncrementalDetokenizer(fake);
        expect(pushAll(detok, bytes("é"))).toEqual(["", "é"]);
        expect(pushAll(detok, bytes("€"))).toEqual(["", "", "€"]);
        expect(pushAll(detok, bytes("😀"))).toEqual(["", "", "", "😀"]);
        expect(pushAll(detok, bytes("x"))).toEqual(["x"]);
    });

    it("chunks joined are the whole text, with no replacement characters, for mixed text", () => {
        const text = "Ünïcödé — 日本語 🙂 ok";
        const detok = new IncrementalDetokenizer(fake);
        const chunks = pushAll(detok, bytes(text));
        chunks.push(detok.flush());
        expect(chunks.join("")).toBe(text);
        expect(chunks.some((c) => c.includes("\uFFFD"))).toBe(false);
    });

    it("releases a genuinely invalid byte once the next token shows it is not the start of a character", () => {
        const detok = new IncrementalDetokenizer(fake);
        expect(detok.push(0xFF as Token)).toBe("");
        expect(detok.push(0x61 as Token)).toBe("\uFFFDa");
    });

    it("gives up holding back after 4 tokens (a UTF-8 character is at most 4 bytes)", () => {
        const detok = new IncrementalDetokenizer(fake);
        const out = pushAll(detok, [0xF0, 0x9F, 0x98, 0xFF] as Token[]);
        expect(out.slice(0, 3)).toEqual(["", "", ""]);
        expect(out[3]).not.toBe("");
        expect(out[3]!.endsWith("\uFFFD")).toBe(true);
        expect(detok.flush()).toBe("");
    });

    it("flush() returns what is still held back at the end of a reply, once", () => {
        const detok = new IncrementalDetokenizer(fake);
        expect(detok.push(0xE2 as Token)).toBe("");
        expect(detok.flush()).toBe("\uFFFD");
        expect(detok.flush()).toBe("");
    });

    it("gives the detokenizer the last 8 preceding tokens as context (prompt first, then emitted ones)", () => {
        calls.length = 0;
        const prompt = bytes("0123456789");
        const detok = new IncrementalDetokenizer(fake, prompt);
        detok.push(0x61 as Token);
        expect(calls.at(-1)!.tokens).toEqual([0x61]);
        expect(calls.at(-1)!.lastTokens).toEqual(prompt.slice(-8));
        detok.push(0x62 as Token);
        expect(calls.at(-1)!.tokens).toEqual([0x62]); // only the new token is decoded
        expect(calls.at(-1)!.lastTokens).toEqual([...prompt.slice(-7), 0x61]);
    });
});
