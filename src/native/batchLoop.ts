/**
 * Batched generation through the native helper (native/generate_batch.cc): several sequences of one context decode
 * together, one llama_decode per step with a token per sequence, each sampled with its own chain. Only steering that
 * is equal for every member may share a run: the control vector belongs to the whole context (the caller sees to it).
 *
 * The bookkeeping stays node-llama-cpp's, as in generationLoop.ts: a run holds the context's lock from its opening
 * to its end, each member holds its sequence's evaluation lock while it runs (both taken with node-llama-cpp's own
 * lifecycle-utils), and a member that ended leaves its sequence recording exactly the tokens the loop decoded. A
 * member starts from an empty sequence: the loop empties it itself (the context lock is the run's).
 */
import type {LlamaContext, LlamaContextSequence, Token} from "node-llama-cpp";
import {nativeGeneratorFor, nodeLlamaCppAcquireLock, untilDone, type NativeSampling, type SequenceInternals} from "./generationLoop.js";
import {addonContextOf, expectedNCtx, findNativeModule, type NativeBatchRun, type NativeGenerationResult} from "./loader.js";

export type BatchMemberRequest = {
    /** the whole prompt: the sequence is emptied and holds it, then the reply */
    input: readonly Token[],
    maxTokens: number,
    sampling: NativeSampling,
    signal?: AbortSignal,
    onTokens(tokens: Int32Array, confidences: Float32Array): void
};

/** Whether batched runs work here, and why not when they do not (then requests run one at a time). */
export function nativeBatchUnavailable(sequence: LlamaContextSequence): string | undefined {
    const single = nativeGeneratorFor(sequence);
    if ("reason" in single) return single.reason;
    const found = findNativeModule();
    if (!found.available) return found.reason;
    if (found.module.startBatch == null) return "the native helper is older than this steer-chat (no batched loop)";
    return undefined;
}

/** Decodes with more than one sequence, summed over every run since the helper was loaded (0 without it). */
export function sharedDecodeCount(): number {
    const found = findNativeModule();
    return found.available ? found.module.batchStats?.().sharedSteps ?? 0 : 0;
}

type Lock = {dispose(): void};

export class NativeBatch {
    private constructor(private readonly run: NativeBatchRun, private readonly contextLock: Lock,
        private readonly context: LlamaContext) {}

    /** Opens a run on the context, holding its lock until close(). */
    static async open(context: LlamaContext): Promise<NativeBatch> {
        const found = findNativeModule();
        if (!found.available) throw new Error(found.reason);
        if (found.module.startBatch == null) throw new Error("the native helper is older than this steer-chat (no batched loop)");
        const acquireLock = await nodeLlamaCppAcquireLock();
        const contextLock = await acquireLock([context, "context"]);
        try {
            return new NativeBatch(found.module.startBatch(addonContextOf(context), expectedNCtx(context)), contextLock, context);
        } catch (err) {
            contextLock.dispose();
            throw err;
        }
    }

    /** Generates on `sequence` (one of the run's context, used by nobody else meanwhile) beside the other members. */
    async generate(sequence: LlamaContextSequence, request: BatchMemberRequest): Promise<NativeGenerationResult> {
        if (sequence.context !== this.context) throw new Error("a batch member's sequence belongs to another context");
        const internals = sequence as unknown as SequenceInternals;
        const acquireLock = await nodeLlamaCppAcquireLock();
        const sequenceLock = await acquireLock([internals._lock, "evaluate"]);
        try {
            const {input, sampling} = request;
            const generated: Token[] = [];
            const member = this.run.add({
                sequenceId: internals._sequenceId, firstPosition: 0, sequenceContextSize: this.context.contextSize,
                input: Int32Array.from(input), maxTokens: request.maxTokens,
                temperature: sampling.temperature, topK: sampling.topK, topP: sampling.topP, minP: sampling.minP,
                seed: Math.max(0, Number.isFinite(sampling.seed) ? Math.floor(sampling.seed!) : Math.floor(Date.now() / 1000))
            }, (tokens, confidences) => {
                for (const token of tokens) generated.push(token as Token);
                request.onTokens(tokens, confidences);
            });
            const result = await untilDone(member, request.signal);
            // the sequence was emptied, then holds what the loop decoded: the input, every generated token but the last
            const decoded = [...input.slice(0, result.inputDecoded), ...generated.slice(0, result.decodedGenerated)] as Token[];
            internals._contextTokens = decoded;
            internals._nextTokenIndex = decoded.length;
            internals._loadedTokenPredictions = [];
            const inputWithLogits = result.inputDecoded === input.length ? 1 : 0;
            sequence.tokenMeter.useTokens(result.inputDecoded - inputWithLogits, "input");
            sequence.tokenMeter.useTokens(inputWithLogits + result.decodedGenerated, "output");
            return result;
        } finally {
            sequenceLock.dispose();
        }
    }

    /** Ends the run once its members have left (none may join after), and lets go of the context. */
    async close(): Promise<{steps: number, sharedSteps: number, widest: number}> {
        this.run.close();
        try {
            return await this.run.done;
        } finally {
            this.contextLock.dispose();
        }
    }
}
