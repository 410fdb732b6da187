/**
 * Replies generated side by side on several sequences of one context, in one batched run of the native helper
 * (native/batchLoop.ts): each prompt is evaluated from an empty sequence in the batches a reply alone evaluates it
 * in, then every step decodes one token per reply together. A reply reads as generateTokens' does: its text
 * detokenized after its prompt, a stop (the signal) taking effect at the token being read when it came.
 */
import {randomInt} from "node:crypto";
import type {LlamaContext, LlamaContextSequence, Token} from "node-llama-cpp";
import {NativeBatch, nativeBatchUnavailable, sharedDecodeCount} from "../native/batchLoop.js";
import type {GenerationResult} from "./generateTokens.js";
import {IncrementalDetokenizer} from "./incrementalDetokenizer.js";
import {ReplyMeter} from "./replyMeter.js";
import type {SamplingOptions} from "./sampling.js";

export {nativeBatchUnavailable as batchUnavailable, sharedDecodeCount};

export type BatchReplyOptions = {
    sampling: SamplingOptions,
    signal?: AbortSignal,
    onText?: (chunk: string) => void
};

export class BatchGeneration {
    private constructor(private readonly batch: NativeBatch) {}

    /** A run on the context; it holds the context until close(). */
    static async open(context: LlamaContext): Promise<BatchGeneration> {
        return new BatchGeneration(await NativeBatch.open(context));
    }

    /** The reply to `prompt` (given whole, at least one token) on `sequence`, which this reply alone uses meanwhile. */
    async reply(sequence: LlamaContextSequence, prompt: readonly Token[],
        {sampling, signal, onText}: BatchReplyOptions): Promise<GenerationResult> {
        const model = sequence.model;
        const detokenizer = new IncrementalDetokenizer((t, s, l) => model.detokenize(t, s, l), prompt);
        const tokens: Token[] = [];
        const meter = new ReplyMeter();
        let text = "";
        let logProbSum = 0;
        const room = sequence.context.contextSize - prompt.length;
        const maxTokens = Math.min(sampling.maxTokens, Math.max(0, room));
        if (signal?.aborted || maxTokens <= 0)
            return {text, tokens, stopReason: signal?.aborted ? "aborted" : "contextFull", tokensPerSecond: 0, meanLogProb: undefined};
        let stopped = false;
        const result = await this.batch.generate(sequence, {
            input: prompt, maxTokens, signal,
            sampling: {...sampling, seed: sampling.seed ?? randomInt(2 ** 32)},
            onTokens(sampled, confidences) {
                for (let i = 0; i < sampled.length && !stopped; i++) {
                    const token = sampled[i] as Token;
                    tokens.push(token);
                    meter.tokens();
                    logProbSum += Math.log(Math.max(confidences[i]!, Number.MIN_VALUE));
                    const chunk = detokenizer.push(token);
                    if (chunk !== "") {
                        text += chunk;
                        onText?.(chunk);
                    }
                    stopped = signal?.aborted === true;
                }
            }
        });
        if (result.error != null) throw new Error(`Generation failed: ${result.error}`);
        const rest = detokenizer.flush();
        if (rest !== "") {
            text += rest;
            onText?.(rest);
        }
        const stopReason = stopped || result.stopReason === "aborted" ? "aborted"
            : result.stopReason === "maxTokens" ? (maxTokens < sampling.maxTokens ? "contextFull" : "maxTokens") : "eos";
        return {text, tokens, stopReason, tokensPerSecond: meter.tokensPerSecond(),
            meanLogProb: tokens.length > 0 ? logProbSum / tokens.length : undefined};
    }

    /** Ends the run once its replies have ended; returns its step counts. */
    close() {
        return this.batch.close();
    }
}
