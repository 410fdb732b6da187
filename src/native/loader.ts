/**
 * Finds and loads the native helper (a prebuild shipped in the package, or build/Release/steer_native.node compiled
 * by `npm install`), checks it was built for the installed node-llama-cpp, and types what it exports. If it is
 * missing or broken, the reason and the fix say why and what to do; chat still works without it.
 */
import {existsSync, readFileSync} from "node:fs";
import {createRequire} from "node:module";
import path from "node:path";
import type {LlamaContext} from "node-llama-cpp";
import {packageRoot} from "../config/paths.js";
import {installedPackageVersion} from "../config/packages.js";

/** The buffer llama_set_adapter_cvec takes: one mixed control vector. */
export type ControlVectorBuffer = {
    /** n_embd × (n_layer − 1) floats: layer 1 first, as llama_set_adapter_cvec expects */
    data: Float32Array,
    nEmbd: number,
    layerStart: number,
    layerEnd: number
};

/**
 * out[i] += direction[i] × coefficient in float32 (one rounding per operation). The native helper supplies a
 * vectorised one with the same bits; steering's JS fallback is the reference.
 */
export type ScaleAddKernel = (out: Float32Array, direction: Float32Array, coefficient: number) => void;

export type ContextInfo = {nCtx: number, nEmbd: number, nLayer: number, library: string, captureError: string,
    /** the vocabulary's size (0 when this llama.cpp lacks the call) */
    nVocab: number};

/** an opaque native capture context (a second llama_context on the same model) */
export type CaptureHandle = {readonly __capture: unique symbol};

/** an opaque native thread pool attached to a context */
export type ThreadPoolHandle = {readonly __threadPool: unique symbol};

/** what one run of the native generation loop did (native/generate.cc) */
export type NativeGenerationResult = {
    stopReason: "eos" | "maxTokens" | "aborted" | "error",
    /** how many input tokens were decoded (all of them, unless it failed) */
    inputDecoded: number,
    /** how many tokens were generated (handed to onTokens), and how many of them were decoded */
    generated: number,
    decodedGenerated: number,
    /** whether the switch asked for (switchAt) was made */
    switched?: boolean,
    /** gated runs: how many times the gate changed the vector on the context */
    gateSwitches?: number,
    /** how many steps computed log-probabilities (0 unless topLogprobs was given; absent from an older helper) */
    logprobSteps?: number,
    /** the end-of-generation token sampled last (stopReason eos), not decoded, and its probability */
    eogToken?: number,
    eogConfidence?: number,
    error?: string
};

export type NativeGenerationOptions = {
    sequenceId: number,
    /** the position of the first input token (the sequence's next token index) */
    firstPosition: number,
    input: Int32Array,
    maxTokens: number,
    temperature: number,
    topK: number,
    topP: number,
    minP: number,
    seed: number,
    /** a switch of the control vector once this many tokens were generated, right before the last is decoded (0: none) */
    switchAt?: number,
    /** what the switch applies (null: clears the vector) */
    switchVector?: ControlVectorBuffer | null,
    /** each token's log-probability in the model's distribution and the top N of each step (onTokens' third to fifth
     * arguments); -1 or absent: none, the loop does not compute them */
    topLogprobs?: number,
    /** a gate on the steering: after sampling a token marked here (one entry per vocabulary token), the loop waits
     * for onTokens' answer, whether the gate is open, before decoding it */
    pauseMask?: Uint8Array,
    /** gated: the steering put on while the schedule has it on and the gate is open */
    gateVector?: ControlVectorBuffer,
    /** gated: whether that steering is on the context when the loop starts */
    vectorOn?: boolean
};

/** the native loop's onTokens: the tokens, their probabilities after sampling and, when topLogprobs ≥ 0 was given,
 * their log-probabilities in the model's distribution and each step's top ids and log-probabilities (N per token);
 * in a gated run, `paused` (the loop waits at the last token for the answer: whether the gate is open after it) */
export type NativeOnTokens = (tokens: Int32Array, confidences: Float32Array, logprobs?: Float32Array, topIds?: Int32Array,
    topLogprobs?: Float32Array, paused?: boolean) => boolean | void;
/** a member of a batched run (native/generate_batch.cc): a sequence's prompt and sampling */
type BatchMemberFields = {
    /** where the member's tokens start: its sequence is emptied from here on */
    firstPosition: number,
    /** the sequence's own context size (the llama context holds one such span per sequence) */
    sequenceContextSize: number
};
export type NativeBatchMemberOptions = BatchMemberFields &
    Pick<NativeGenerationOptions, "sequenceId" | "input" | "maxTokens" | "temperature" | "topK" | "topP" | "minP" | "seed">;

/** a batched run: members join and leave it; it ends once closed with none left */
export type NativeBatchRun = {
    add(options: NativeBatchMemberOptions, onTokens: (tokens: Int32Array, confidences: Float32Array) => void):
        {done: Promise<NativeGenerationResult>, stop(): void},
    close(): void,
    /** its generation steps, those that decoded more than one sequence, and the most sequences one step decoded */
    done: Promise<{steps: number, sharedSteps: number, widest: number}>
};

/** what the helper exports, as native/module.cc registers it */
export type NativeModule = {
    contextInfo(addonContext: object, expectedNCtx: number): ContextInfo,
    createCaptureContext(addonContext: object, expectedNCtx: number, maxTokens: number, threads: number, poll?: number): CaptureHandle,
    capture(handle: CaptureHandle, tokens: Int32Array, allRows: boolean, cvec?: Float32Array | null,
        ilStart?: number, ilEnd?: number): Promise<Float32Array[]>,
    freeCaptureContext(handle: CaptureHandle): void,
    captureLogits(handle: CaptureHandle, tokens: Int32Array, fromRow: number, cvec?: Float32Array | null, ilStart?: number,
        ilEnd?: number, steerFrom?: number): Promise<Float32Array>,
    setControlVector(addonContext: object, expectedNCtx: number, data: Float32Array | null,
        nEmbd?: number, ilStart?: number, ilEnd?: number): void,
    scaleAdd: ScaleAddKernel,
    generate?(addonContext: object, expectedNCtx: number, options: NativeGenerationOptions,
        onTokens: NativeOnTokens): {done: Promise<NativeGenerationResult>, stop(): void},
    startBatch?(addonContext: object, expectedNCtx: number): NativeBatchRun,
    /** every batched run's steps since the helper was loaded, and those that decoded more than one sequence */
    batchStats?(): {steps: number, sharedSteps: number, members: number},
    attachThreadPool?(addonContext: object, expectedNCtx: number, threads: number, poll: number): ThreadPoolHandle,
    freeThreadPool?(handle: ThreadPoolHandle): void,
    /** the node-llama-cpp version and source fingerprint the helper was compiled for */
    builtFor?: {nodeLlamaCpp?: string, source?: string}
};

export type NativeModuleStatus = {available: true, module: NativeModule} | {available: false, reason: string, fix: string};

export const BUILD_FIX = "run `npm run build:native` in the steer-chat folder (needs python3, make and a C++ compiler) and look at its output";

/**
 * The helper node-gyp-build picks: build/Release when the install compiled one, else the prebuild shipped for this
 * platform (prebuilds/<platform>-<arch>/). It must have been built for the node-llama-cpp that is installed, whose
 * AddonContext it reads.
 */
export function findNativeModule(): NativeModuleStatus {
    return (found ??= locateNativeModule());
}

let found: NativeModuleStatus | undefined;

function locateNativeModule(): NativeModuleStatus {
    if (process.platform === "win32")
        return {available: false, reason: "steering's native helper supports Linux and macOS only for now", fix: "run steer-chat on Linux or macOS to steer"};
    const require = createRequire(import.meta.url);
    let file: string;
    try {
        file = (require("node-gyp-build") as {resolve(dir: string): string}).resolve(packageRoot());
    } catch {
        // no prebuild for this platform and no build: npm install records why the build failed, say it here
        const buildError = path.join(packageRoot(), "build", "native-build-error.txt");
        const why = existsSync(buildError) ? `: ${readFileSync(buildError, "utf8").trim()}`
            : ` (no prebuild for ${process.platform}-${process.arch} and no build/Release/steer_native.node)`;
        return {available: false, reason: `the native steering helper was not built${why}`, fix: BUILD_FIX};
    }
    let mod: NativeModule;
    try {
        mod = require(file) as NativeModule;
    } catch (err) {
        return {available: false, reason: `the native steering helper failed to load: ${(err as Error).message}`, fix: BUILD_FIX};
    }
    const installed = installedPackageVersion("node-llama-cpp");
    const builtFor = mod.builtFor?.nodeLlamaCpp;
    if (builtFor !== installed)
        return {available: false, reason: `the native steering helper ${path.relative(packageRoot(), file)} was built for node-llama-cpp ` +
            `${builtFor ?? "(unknown)"} but ${installed ?? "none"} is installed`,
        fix: "reinstall steer-chat so node-llama-cpp is the exact version it pins, or " + BUILD_FIX};
    return {available: true, module: mod};
}

/**
 * The n_ctx the helper checks a context against: node-llama-cpp gives each sequence a span of the context size, so
 * a context of several sequences holds that many spans (llama.cpp pads the total a little, which the check allows).
 */
export function expectedNCtx(context: LlamaContext): number {
    // a context without a sequence count (an object that only looks like one) is taken as one sequence, never NaN,
    // which the helper's size check would read as no size at all
    const sequences = Number.isInteger(context.totalSequences) && context.totalSequences > 0 ? context.totalSequences : 1;
    return context.contextSize * sequences;
}

/** node-llama-cpp keeps its native context on the internal `_ctx` field; the helper verifies it before use. */
export function addonContextOf(context: LlamaContext): object {
    const addon = (context as unknown as {_ctx?: unknown})._ctx;
    if (addon == null || typeof addon !== "object") throw new Error("this LlamaContext has no native context (disposed?)");
    return addon;
}
