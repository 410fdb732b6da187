/**
 * The coherence gauge's maths (pure, no llama.cpp): how far steering moved the model, and whether its text went
 * degenerate.
 * - KL: for each token of a reply, KL(P_steered ‖ P_unsteered) between the next-token distributions that produced it,
 *   in nats, averaged over the reply. 0 means steering changed nothing; it grows as the steered model puts its mass
 *   where the unsteered one does not. (Steered first: the cost, under the unsteered model, of the text the steered
 *   model would write.)
 * - repetition: the share of the reply's token n-grams (n = 3 by default) that already occurred earlier in it. An
 *   over-steered model loops ("the the the", a phrase again and again), which scores a *low* perplexity but a high
 *   repetition. Also the compression ratio of the text (deflate), which catches loops longer than n.
 * - perplexity of the reply under the unsteered model: exp(−mean log P_unsteered(token)).
 */
import {deflateRawSync} from "node:zlib";

/** log-softmax of one row of logits, in float64 (max-subtracted, so large logits do not overflow). */
export function logSoftmax(logits: ArrayLike<number>, offset = 0, length = logits.length - offset): Float64Array {
    let max = -Infinity;
    for (let i = 0; i < length; i++) max = Math.max(max, logits[offset + i]!);
    let sum = 0;
    for (let i = 0; i < length; i++) sum += Math.exp(logits[offset + i]! - max);
    const lse = max + Math.log(sum);
    const out = new Float64Array(length);
    for (let i = 0; i < length; i++) out[i] = logits[offset + i]! - lse;
    return out;
}

/** KL(P ‖ Q) in nats between two distributions given as log-probabilities; terms with P = 0 contribute 0. */
export function klFromLogProbs(logP: ArrayLike<number>, logQ: ArrayLike<number>): number {
    if (logP.length !== logQ.length) throw new Error(`distributions of ${logP.length} and ${logQ.length} outcomes`);
    let kl = 0;
    for (let i = 0; i < logP.length; i++) {
        const p = Math.exp(logP[i]!);
        if (p > 0) kl += p * (logP[i]! - logQ[i]!);
    }
    // rounding can leave a tiny negative for equal distributions
    return Math.max(0, kl);
}

/** KL(P ‖ Q) between two probability vectors (each summing to 1). */
export function klDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
    return klFromLogProbs(Array.from(p, Math.log), Array.from(q, Math.log));
}

/**
 * The share of the token n-grams that occurred earlier in the same sequence (overlaps count): 0 for no repeat,
 * approaching 1 for a loop. Sequences shorter than n have no n-gram: 0.
 */
export function repeatedNgramShare(tokens: readonly number[], n = 3): number {
    if (!Number.isInteger(n) || n < 1) throw new Error("n must be a whole number >= 1");
    const count = tokens.length - n + 1;
    if (count <= 0) return 0;
    const seen = new Set<string>();
    let repeated = 0;
    for (let i = 0; i < count; i++) {
        const key = tokens.slice(i, i + n).join(",");
        if (seen.has(key)) repeated++;
        else seen.add(key);
    }
    return repeated / count;
}

/**
 * Compressed size over raw size of the text's UTF-8 bytes (deflate, no header): lower is more repetitive. Short
 * texts compress badly whatever they say, so compare it only between replies of similar length. 1 for empty text.
 */
export function compressionRatio(text: string): number {
    const raw = Buffer.from(text, "utf8");
    if (raw.length === 0) return 1;
    return deflateRawSync(raw, {level: 9}).length / raw.length;
}

export type CoherenceGauge = {
    /** tokens measured */
    tokens: number,
    /** mean KL(P_steered ‖ P_unsteered) over the tokens, in nats */
    kl: number,
    /** the largest per-token KL */
    klMax: number,
    /** repeated n-gram share (see repeatedNgramShare) */
    repetition: number,
    /** the n of repetition */
    n: number,
    /** perplexity of the tokens under the unsteered model */
    perplexity: number,
    /** perplexity of the tokens under the steered model (today's gauge, for comparison) */
    steeredPerplexity: number,
    /** the text's compression ratio, when a text was given */
    compression?: number
};

/** Sums from which a gauge is made; pieces of a long reply are measured one by one and added up. */
export type GaugeSums = {tokens: number, klSum: number, klMax: number, unsteeredLogProbSum: number, steeredLogProbSum: number};

export const EMPTY_SUMS: GaugeSums = {tokens: 0, klSum: 0, klMax: 0, unsteeredLogProbSum: 0, steeredLogProbSum: 0};

/**
 * The sums of rows of logits: row i of `steered` and `unsteered` (each rows × nVocab) is the distribution that
 * predicted `tokens[i]`.
 */
export function gaugeSums(steered: ArrayLike<number>, unsteered: ArrayLike<number>, nVocab: number, tokens: readonly number[]): GaugeSums {
    if (steered.length !== unsteered.length) throw new Error(`${steered.length} steered and ${unsteered.length} unsteered logits`);
    if (steered.length !== tokens.length * nVocab) throw new Error(`${steered.length} logits are not ${tokens.length} rows of ${nVocab}`);
    const sums = {...EMPTY_SUMS};
    for (let r = 0; r < tokens.length; r++) {
        const logP = logSoftmax(steered, r * nVocab, nVocab);
        const logQ = logSoftmax(unsteered, r * nVocab, nVocab);
        const kl = klFromLogProbs(logP, logQ);
        const token = tokens[r]!;
        if (!(token >= 0 && token < nVocab)) throw new Error(`token ${token} is outside the vocabulary of ${nVocab}`);
        sums.tokens++;
        sums.klSum += kl;
        sums.klMax = Math.max(sums.klMax, kl);
        sums.unsteeredLogProbSum += logQ[token]!;
        sums.steeredLogProbSum += logP[token]!;
    }
    return sums;
}

export function addSums(a: GaugeSums, b: GaugeSums): GaugeSums {
    return {tokens: a.tokens + b.tokens, klSum: a.klSum + b.klSum, klMax: Math.max(a.klMax, b.klMax),
        unsteeredLogProbSum: a.unsteeredLogProbSum + b.unsteeredLogProbSum, steeredLogProbSum: a.steeredLogProbSum + b.steeredLogProbSum};
}

export function gaugeFromSums(sums: GaugeSums, tokens: readonly number[], {n = 3, text}: {n?: number, text?: string} = {}): CoherenceGauge {
    const count = Math.max(1, sums.tokens);
    return {
        tokens: sums.tokens,
        kl: sums.tokens > 0 ? sums.klSum / count : 0,
        klMax: sums.klMax,
        repetition: repeatedNgramShare(tokens, n),
        n,
        perplexity: sums.tokens > 0 ? Math.exp(-sums.unsteeredLogProbSum / count) : NaN,
        steeredPerplexity: sums.tokens > 0 ? Math.exp(-sums.steeredLogProbSum / count) : NaN,
        ...(text != null ? {compression: compressionRatio(text)} : {})
    };
}

/** The gauge of a reply from its steered and unsteered logits (see gaugeSums for the layout). */
export function coherenceGauge(steered: ArrayLike<number>, unsteered: ArrayLike<number>, nVocab: number, tokens: readonly number[],
    options: {n?: number, text?: string} = {}): CoherenceGauge {
    return gaugeFromSums(gaugeSums(steered, unsteered, nVocab, tokens), tokens, options);
}

/**
 * `KL 0.42 · rep 12% · unsteered ppl 8.3`: the gauge in one line for a status line or a transcript. Its perplexity is
 * the unsteered model's on the reply, labelled so, as the reply's own (under its steering) is shown as plain `ppl`.
 */
export function describeGauge(gauge: CoherenceGauge): string {
    return `KL ${gauge.kl.toFixed(2)} · rep ${(gauge.repetition * 100).toFixed(0)}% · unsteered ppl ${Number.isFinite(gauge.perplexity) ? gauge.perplexity.toFixed(1) : "n/a"}`;
}
