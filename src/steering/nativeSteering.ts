/**
 * Loads the native helper (a prebuild shipped in the package, or build/Release/steer_native.node compiled by
 * `npm install`) and wraps it with the LlamaContext it works on. If it is missing or broken, steering reports why and how
 * to fix it; chat still works.
 */
import {existsSync, readFileSync} from "node:fs";
import {createRequire} from "node:module";
import path from "node:path";
import type {LlamaContext, LlamaModel} from "node-llama-cpp";
import {UserFacingError} from "../errors.js";
import {packageRoot} from "../config/paths.js";
import {installedPackageVersion} from "../config/packages.js";
import type {MixedControlVector, ScaleAddKernel} from "./mixControlVectors.js";

type NativeModule = {
    contextInfo(addonContext: object, expectedNCtx: number): ContextInfo,
    createCaptureContext(addonContext: object, expectedNCtx: number, maxTokens: number, threads: number): CaptureHandle,
    capture(handle: CaptureHandle, tokens: Int32Array, allRows: boolean, cvec?: Float32Array | null,
        ilStart?: number, ilEnd?: number): Promise<Float32Array[]>,
    freeCaptureContext(handle: CaptureHandle): void,
    captureLogits(handle: CaptureHandle, tokens: Int32Array, fromRow: number, cvec?: Float32Array | null, ilStart?: number,
        ilEnd?: number, steerFrom?: number): Promise<Float32Array>,
    setControlVector(addonContext: object, expectedNCtx: number, data: Float32Array | null,
        nEmbd?: number, ilStart?: number, ilEnd?: number): void,
    scaleAdd: ScaleAddKernel,
    /** the node-llama-cpp version and source fingerprint the helper was compiled for */
    builtFor?: {nodeLlamaCpp?: string, source?: string}
};

export type ContextInfo = {nCtx: number, nEmbd: number, nLayer: number, library: string, captureError: string,
    /** the vocabulary's size (0 when this llama.cpp lacks the call) */
    nVocab: number};

/** an opaque native capture context (a second llama_context on the same model) */
export type CaptureHandle = {readonly __capture: unique symbol};

export type HiddenStateCapture = {
    /**
     * One array per layer N (the output of block N, `l_out-N`): n_tokens × n_embd floats, except the last layer,
     * which holds only the last token's row unless `allRows` (llama.cpp computes it only for output tokens).
     */
    capture(tokens: readonly number[], options?: {allRows?: boolean, steering?: MixedControlVector | null}): Promise<Float32Array[]>,
    /**
     * The next-token logits after each token from `fromRow` on: (n_tokens − fromRow) × n_vocab floats, no hidden
     * states kept. With `steering`, tokens from `steerFrom` on (default 0: all) are evaluated with it and the ones
     * before without it, as a conversation under the reply-only policy evaluates them.
     */
    logits(tokens: readonly number[], options?: {fromRow?: number, steering?: MixedControlVector | null,
        steerFrom?: number}): Promise<Float32Array>,
    free(): void
};

export type NativeSteering = {
    contextInfo(context: LlamaContext): ContextInfo,
    /** applies a mixed vector to the context, or clears it with null */
    apply(context: LlamaContext, mix: MixedControlVector | null): void,
    /** a second context on the same model that records every layer's output */
    createCapture(context: LlamaContext, maxTokens: number, threads: number): HiddenStateCapture,
    /** the vectorised mixing kernel (same bits as the JS one, several times faster on model-sized vectors) */
    scaleAdd: ScaleAddKernel
};

export type NativeSteeringStatus = {available: true, native: NativeSteering} | {available: false, reason: string, fix: string};

const BUILD_FIX = "run `npm run build:native` in the steer-chat folder (needs python3, make and a C++ compiler) and look at its output";

let cached: NativeSteeringStatus | undefined;

export function loadNativeSteering(): NativeSteeringStatus {
    cached ??= findNativeSteering();
    return cached;
}

/**
 * The helper node-gyp-build picks: build/Release when the install compiled one, else the prebuild shipped for this
 * platform (prebuilds/<platform>-<arch>/). It must have been built for the node-llama-cpp that is installed, whose
 * AddonContext it reads.
 */
function findNativeSteering(): NativeSteeringStatus {
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
    return {available: true, native: wrap(mod)};
}

/**
 * The native view of the context, cross-checked against what node-llama-cpp read from the GGUF file: if the helper
 * cannot reach the llama_context, or reaches one of another shape, it is the wrong build — say so, never guess.
 * `purpose` names what is unavailable ("Steering", "Training").
 */
export function checkedContextInfo(native: NativeSteering, context: LlamaContext, model: LlamaModel, purpose: string): ContextInfo {
    const fix = `the native helper does not match this node-llama-cpp build: reinstall steer-chat, or ${BUILD_FIX}`;
    let info: ContextInfo;
    try {
        info = native.contextInfo(context);
    } catch (err) {
        throw new UserFacingError(`${purpose} is unavailable: ${(err as Error).message}`, fix);
    }
    const metadata = model.fileInfo.architectureMetadata as {embedding_length?: unknown, block_count?: unknown} | undefined;
    const fileNEmbd = Number(metadata?.embedding_length);
    const fileBlocks = Number(metadata?.block_count);
    if (Number.isFinite(fileNEmbd) && fileNEmbd !== info.nEmbd)
        throw new UserFacingError(`${purpose} is unavailable: llama_context check failed: nEmbd is ${info.nEmbd} in llama.cpp ` +
            `but ${fileNEmbd} in the model file (incompatible node-llama-cpp build?)`, fix);
    // llama.cpp's layer count leaves out multi-token-prediction (nextn) blocks, so it may be below block_count
    if (Number.isFinite(fileBlocks) && (info.nLayer < 1 || info.nLayer > fileBlocks))
        throw new UserFacingError(`${purpose} is unavailable: llama_context check failed: nLayer is ${info.nLayer} in llama.cpp ` +
            `but the model file has ${fileBlocks} blocks (incompatible node-llama-cpp build?)`, fix);
    return info;
}

/** node-llama-cpp keeps its native context on the internal `_ctx` field; the helper verifies it before use. */
function addonContextOf(context: LlamaContext): object {
    const addon = (context as unknown as {_ctx?: unknown})._ctx;
    if (addon == null || typeof addon !== "object") throw new Error("this LlamaContext has no native context (disposed?)");
    return addon;
}

function wrap(mod: NativeModule): NativeSteering {
    return {
        contextInfo: (context) => mod.contextInfo(addonContextOf(context), context.contextSize),
        scaleAdd: mod.scaleAdd,
        apply(context, mix) {
            if (mix == null) mod.setControlVector(addonContextOf(context), context.contextSize, null);
            else mod.setControlVector(addonContextOf(context), context.contextSize, mix.data, mix.nEmbd, mix.layerStart, mix.layerEnd);
        },
        createCapture(context, maxTokens, threads) {
            const info = mod.contextInfo(addonContextOf(context), context.contextSize);
            if (info.captureError !== "") throw new Error(info.captureError);
            const handle = mod.createCaptureContext(addonContextOf(context), context.contextSize, maxTokens, threads);
            return {
                capture: (tokens, {allRows = true, steering} = {}) => steering == null
                    ? mod.capture(handle, Int32Array.from(tokens), allRows)
                    : mod.capture(handle, Int32Array.from(tokens), allRows, steering.data, steering.layerStart, steering.layerEnd),
                logits: (tokens, {fromRow = 0, steering, steerFrom = 0} = {}) => typeof mod.captureLogits !== "function"
                    ? Promise.reject(new UserFacingError("The native steering helper is older than this steer-chat (it has no logits capture)", BUILD_FIX))
                    : steering == null
                    ? mod.captureLogits(handle, Int32Array.from(tokens), fromRow)
                    : mod.captureLogits(handle, Int32Array.from(tokens), fromRow, steering.data, steering.layerStart, steering.layerEnd,
                        steerFrom),
                free: () => mod.freeCaptureContext(handle)
            };
        }
    };
}
