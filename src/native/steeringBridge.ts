/**
 * Steering through the native helper: the llama_context behind a LlamaContext, checked against the model file, a
 * control vector applied to it or cleared, the vectorised mixing kernel, and hidden-state capture on top.
 */
import type {LlamaContext, LlamaModel} from "node-llama-cpp";
import {UserFacingError} from "../errors.js";
import {createHiddenStateCapture, type HiddenStateCapture} from "./captureBridge.js";
import {addonContextOf, BUILD_FIX, findNativeModule, type ContextInfo, type ControlVectorBuffer, type NativeModule,
    type ScaleAddKernel, expectedNCtx} from "./loader.js";

export type NativeSteering = {
    contextInfo(context: LlamaContext): ContextInfo,
    /** applies a mixed vector to the context, or clears it with null */
    apply(context: LlamaContext, mix: ControlVectorBuffer | null): void,
    /** a second context on the same model that records every layer's output */
    createCapture(context: LlamaContext, maxTokens: number, threads: number): HiddenStateCapture,
    /** the vectorised mixing kernel (same bits as the JS one, several times faster on model-sized vectors) */
    scaleAdd: ScaleAddKernel
};

export type NativeSteeringStatus = {available: true, native: NativeSteering} | {available: false, reason: string, fix: string};

let cached: NativeSteeringStatus | undefined;

export function loadNativeSteering(): NativeSteeringStatus {
    if (cached === undefined) {
        const found = findNativeModule();
        cached = found.available ? {available: true, native: wrap(found.module)} : found;
    }
    return cached;
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

function wrap(mod: NativeModule): NativeSteering {
    return {
        contextInfo: (context) => mod.contextInfo(addonContextOf(context), expectedNCtx(context)),
        scaleAdd: mod.scaleAdd,
        apply(context, mix) {
            if (mix == null) mod.setControlVector(addonContextOf(context), expectedNCtx(context), null);
            else mod.setControlVector(addonContextOf(context), expectedNCtx(context), mix.data, mix.nEmbd, mix.layerStart, mix.layerEnd);
        },
        createCapture: (context, maxTokens, threads) => createHiddenStateCapture(mod, context, maxTokens, threads)
    };
}
