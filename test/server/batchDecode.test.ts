/**
 * The batched loop (native/generate_batch.cc through src/native/batchLoop.ts) against the single-sequence loop, on
 * stories260K on the CPU: the same tokens, greedy and seeded, whether a reply runs alone or beside others; a reply
 * alone in a batch computes exactly what the single loop computes on a context of one sequence (as `ask`); each
 * sequence ends recording what was decoded on it. What this found: batched decodes (two tokens or more per step)
 * compute each row's logits with the CPU's matrix kernel, a step of one token with the vector kernel, so a reply in
 * a batch agrees with the same reply alone to rounding only (its tokens were the same in every case tried).
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {LlamaContextSequence, Token} from "node-llama-cpp";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {tokenizePrompt} from "../../src/engine/generateTokens.js";
import {NativeBatch, sharedDecodeCount} from "../../src/native/batchLoop.js";
import {nativeGeneratorFor} from "../../src/native/generationLoop.js";
import {storiesModelPath} from "../helpers/tinyModel.js";

const PROMPTS = ["Once upon a time", "One day, a boy", "The sun was warm and", "Lily and her mom went to the park. They saw a big dog and"];
const TOKENS = 64;
type Out = {tokens: number[], confidences: number[]};
const sampling = (temperature: number) => ({temperature, topK: 40, topP: 0.95, minP: 0.05, seed: 1234});

describe("the batched generation loop", () => {
    let single: LoadedModel;
    let multi: LoadedModel;
    let sequences: LlamaContextSequence[];
    beforeAll(async () => {
        single = await loadModel(storiesModelPath, {sequences: 1});
        multi = await loadModel(storiesModelPath, {sequences: 5});
        sequences = PROMPTS.map(() => multi.context.getSequence());
    });
    afterAll(async () => {
        await multi?.dispose();
        await single?.dispose();
    });

    const alone = async (temperature: number): Promise<Out[]> => {
        const outs: Out[] = [];
        for (const prompt of PROMPTS) {
            const sequence = single.context.getSequence();
            const loop = nativeGeneratorFor(sequence);
            if (!("generate" in loop)) throw new Error(loop.reason);
            const out: Out = {tokens: [], confidences: []};
            await loop.generate(sequence, {input: tokenizePrompt(single.model, prompt), maxTokens: TOKENS, sampling: sampling(temperature),
                onTokens(t, c) { out.tokens.push(...t); out.confidences.push(...c); }});
            sequence.dispose();
            outs.push(out);
        }
        return outs;
    };

    /** the prompts at `indexes` together in one run */
    const together = async (temperature: number, indexes: number[]): Promise<Out[]> => {
        const batch = await NativeBatch.open(multi.context);
        const outs = indexes.map(() => ({tokens: [] as number[], confidences: [] as number[]}));
        try {
            await Promise.all(indexes.map((i, k) => batch.generate(sequences[i]!, {input: tokenizePrompt(multi.model, PROMPTS[i]!),
                maxTokens: TOKENS, sampling: sampling(temperature),
                onTokens(t, c) { outs[k]!.tokens.push(...t); outs[k]!.confidences.push(...c); }})));
        } finally {
            await batch.close();
        }
        return outs;
    };

    for (const temperature of [0, 0.8]) {
        it(`gives each reply the tokens it gets alone (temperature ${temperature})`, async () => {
            const reference = await alone(temperature);
            const sharedBefore = sharedDecodeCount();
            const four = await together(temperature, [0, 1, 2, 3]);
            // every step but the last of 64 tokens carried all four replies
            expect(sharedDecodeCount() - sharedBefore).toBe(TOKENS - 1);
            const pairs = [...await together(temperature, [0, 1]), ...await together(temperature, [2, 3])];
            const ones = [];
            for (let i = 0; i < PROMPTS.length; i++) ones.push(...await together(temperature, [i]));
            for (let i = 0; i < PROMPTS.length; i++) {
                expect(four[i]!.tokens).toEqual(reference[i]!.tokens);
                expect(pairs[i]!.tokens).toEqual(reference[i]!.tokens);
                // alone in a batch: the very numbers of the single loop on a context of its own
                expect(ones[i]).toEqual(reference[i]);
            }
            const differing = four.flatMap((o, i) => o.confidences.filter((c, j) => c !== reference[i]!.confidences[j])).length;
            console.log(`batched loop, temperature ${temperature}: ${differing} of ${TOKENS * PROMPTS.length} token probabilities `
                + "differ from the single loop's in rounding");
        });
    }

    it("leaves each sequence recording what was decoded on it, and stops one member alone", async () => {
        const batch = await NativeBatch.open(multi.context);
        const stop = new AbortController();
        const seen: number[][] = [[], []];
        const [stopped, finished] = await Promise.all([0, 1].map((i) => batch.generate(sequences[i]!, {
            input: tokenizePrompt(multi.model, PROMPTS[i]!), maxTokens: TOKENS, sampling: sampling(0),
            signal: i === 0 ? stop.signal : undefined,
            onTokens(t) {
                seen[i]!.push(...t);
                if (i === 0 && seen[0]!.length >= 3) stop.abort();
            }
        })));
        await batch.close();
        expect(stopped!.stopReason).toBe("aborted");
        expect(stopped!.generated).toBeLessThan(TOKENS);
        expect(finished!.stopReason).toBe("maxTokens");
        expect(finished!.generated).toBe(TOKENS);
        for (const [i, result] of [stopped!, finished!].entries()) {
            const prompt = tokenizePrompt(multi.model, PROMPTS[i]!);
            const expected = [...prompt, ...seen[i]!.slice(0, result.decodedGenerated)] as Token[];
            expect(sequences[i]!.contextTokens).toEqual(expected);
            expect(sequences[i]!.nextTokenIndex).toBe(expected.length);
        }
        // the sequence goes on through node-llama-cpp, from what it records
        await sequences[1]!.evaluateWithoutGeneratingNewTokens(tokenizePrompt(multi.model, " The end.").slice(1));
        expect(sequences[1]!.nextTokenIndex).toBeGreaterThan(TOKENS);
    });
});
