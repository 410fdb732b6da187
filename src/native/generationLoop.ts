/**
 * Generation through the native helper's loop (native/generate.cc): decode and sample on one thread of its own,
 * tokens streamed back in batches. node-llama-cpp's own loop makes two round trips through the JS thread per token,
 * which on a small model cost more than the token (1,300 tok/s against llama-completion's 5,500 on 2 cores).
 *
 * The KV cache and the sequence's token bookkeeping stay node-llama-cpp's: the loop runs under the sequence's
 * evaluation lock and the context's lock (taken with node-llama-cpp's own copy of lifecycle-utils, so they are the
 * locks its evaluations take), and afterwards the sequence records exactly the tokens the loop decoded.
 */
import {createRequire} from "node:module";
import {pathToFileURL} from "node:url";
import type {LlamaContextSequence, Token} from "node-llama-cpp";
import {addonContextOf, expectedNCtx, findNativeModule, type ControlVectorBuffer, type NativeGenerationResult, type NativeModule,
    type NativeOnTokens} from "./loader.js";

export type NativeSampling = {temperature: number, topK: number, topP: number, minP: number, seed?: number};

export type NativeGenerateRequest = {
    /** evaluated first (at least one token); generation samples after its last token */
    input: readonly Token[],
    maxTokens: number,
    sampling: NativeSampling,
    signal?: AbortSignal,
    /** a control-vector switch inside the loop: once `after` tokens were generated, right before the last of them is
     * decoded (its logits give token after + 1), `vector` is applied (null: cleared). The loop holds the context. */
    switchAt?: {after: number, vector: ControlVectorBuffer | null},
    /** a gate on the steering (steer-code off): after sampling a token marked in `pauseMask` (one entry per
     * vocabulary token) the loop waits for onTokens' answer before decoding it. The context has `vector` on while the
     * schedule has it on (`vectorOn` at the start; switchAt turns it) and the gate is open. */
    gate?: {pauseMask: Uint8Array, vector: ControlVectorBuffer, vectorOn: boolean},
    /** 0..n_vocab: each token's log-probability in the model's distribution and the top N of each step, given to onTokens;
     * undefined: not computed (the default: the loop then does no more per token than before) */
    topLogprobs?: number,
    /** the tokens sampled since the last call, with each one's probability (and log-probabilities when asked);
     * called on the JS thread, in order. `paused` (gated runs): the loop waits at the last of them, and the answer is
     * whether the gate is open after it. */
    onTokens: NativeOnTokens
};

/** the fields of node-llama-cpp's LlamaContextSequence that the loop reads and updates (internal in 3.22.1) */
export type SequenceInternals = {
    _sequenceId: number,
    _contextTokens: Token[],
    _nextTokenIndex: number,
    _lock: object,
    _loadedTokenPredictions: unknown[],
    _tokenPredictor?: unknown,
    needsCheckpoints: boolean
};

type Lock = {dispose(): void};
type AcquireLock = (scope: readonly unknown[]) => Promise<Lock>;
let acquireLockPromise: Promise<AcquireLock> | undefined;

/** lifecycle-utils as node-llama-cpp resolves it: its locks live in that module's state */
export function nodeLlamaCppAcquireLock(): Promise<AcquireLock> {
    acquireLockPromise ??= (async () => {
        const fromNodeLlamaCpp = createRequire(createRequire(import.meta.url).resolve("node-llama-cpp"));
        const url = pathToFileURL(fromNodeLlamaCpp.resolve("lifecycle-utils")).href;
        return ((await import(url)) as {acquireLock: AcquireLock}).acquireLock;
    })();
    return acquireLockPromise;
}

export type NativeGenerator = (sequence: LlamaContextSequence, request: NativeGenerateRequest) => Promise<NativeGenerationResult>;

/** A native run's result, the run stopped when `signal` aborts (before or while it runs): the single and batched loops. */
export async function untilDone(run: {done: Promise<NativeGenerationResult>, stop(): void},
    signal: AbortSignal | undefined): Promise<NativeGenerationResult> {
    const stop = () => run.stop();
    signal?.addEventListener("abort", stop);
    if (signal?.aborted) stop();
    try {
        return await run.done;
    } finally {
        signal?.removeEventListener("abort", stop);
    }
}

/**
 * The native loop for a sequence, or why it cannot run there (then node-llama-cpp's loop is used): no helper, an
 * older helper, or a sequence whose bookkeeping the loop does not keep (token predictors, checkpointed models).
 */
export function nativeGeneratorFor(sequence: LlamaContextSequence): {generate: NativeGenerator, vocabularySize: number} | {reason: string} {
    if (process.env.STEER_CHAT_NATIVE_LOOP === "0") return {reason: "STEER_CHAT_NATIVE_LOOP=0"};
    const found = findNativeModule();
    if (!found.available) return {reason: found.reason};
    if (found.module.generate == null) return {reason: "the native helper is older than this steer-chat (no generation loop)"};
    const internals = sequence as unknown as SequenceInternals;
    if (typeof internals._sequenceId !== "number" || !Array.isArray(internals._contextTokens) || typeof internals._nextTokenIndex !== "number" ||
        internals._lock == null || !Array.isArray(internals._loadedTokenPredictions))
        return {reason: "this node-llama-cpp keeps its sequences differently"};
    if (internals.needsCheckpoints) return {reason: "the model needs context checkpoints, which node-llama-cpp's loop takes"};
    if (internals._tokenPredictor != null) return {reason: "the sequence has a token predictor"};
    return {generate: (seq, request) => runNativeLoop(found.module, seq, request),
        get vocabularySize() {
            return found.module.contextInfo(addonContextOf(sequence.context), sequence.context.contextSize).nVocab;
        }};
}

async function runNativeLoop(mod: NativeModule, sequence: LlamaContextSequence,
    request: NativeGenerateRequest): Promise<NativeGenerationResult> {
    const internals = sequence as unknown as SequenceInternals;
    const acquireLock = await nodeLlamaCppAcquireLock();
    const sequenceLock = await acquireLock([internals._lock, "evaluate"]);
    let contextLock: Lock | undefined;
    try {
        contextLock = await acquireLock([sequence.context, "context"]);
        const {input, sampling} = request;
        const firstPosition = internals._nextTokenIndex;
        const generated: Token[] = [];
        const run = mod.generate!(addonContextOf(sequence.context), expectedNCtx(sequence.context), {
            sequenceId: internals._sequenceId, firstPosition, input: Int32Array.from(input), maxTokens: request.maxTokens,
            temperature: sampling.temperature, topK: sampling.topK, topP: sampling.topP, minP: sampling.minP,
            // as node-llama-cpp resolves a seed (LlamaContextSequence._resolveSamplerConfig): none is the time in seconds
            seed: Math.max(0, Number.isFinite(sampling.seed) ? Math.floor(sampling.seed!) : Math.floor(Date.now() / 1000)),
            ...(request.switchAt != null && request.switchAt.after >= 1
                ? {switchAt: request.switchAt.after, switchVector: request.switchAt.vector} : {}),
            ...(request.topLogprobs != null ? {topLogprobs: request.topLogprobs} : {}),
            ...(request.gate != null
                ? {pauseMask: request.gate.pauseMask, gateVector: request.gate.vector, vectorOn: request.gate.vectorOn} : {})
        }, (tokens, confidences, logprobs, topIds, topLogprobs, paused) => {
            for (const token of tokens) generated.push(token as Token);
            return request.onTokens(tokens, confidences, logprobs, topIds, topLogprobs, paused);
        });
        const result = await untilDone(run, request.signal);
        // the sequence now holds what the loop decoded: its input, then every generated token but the last sampled
        const decoded = [...input.slice(0, result.inputDecoded), ...generated.slice(0, result.decodedGenerated)] as Token[];
        internals._contextTokens = internals._contextTokens.concat(decoded);
        internals._nextTokenIndex = firstPosition + decoded.length;
        // node-llama-cpp's meter counts a decoded token with logits as output, one without as input
        const inputWithLogits = result.inputDecoded === input.length ? 1 : 0;
        sequence.tokenMeter.useTokens(result.inputDecoded - inputWithLogits, "input");
        sequence.tokenMeter.useTokens(inputWithLogits + result.decodedGenerated, "output");
        return result;
    } finally {
        contextLock?.dispose();
        sequenceLock.dispose();
    }
}
