/**
 * Hidden-state capture through the native helper: a second llama_context on the model of a LlamaContext that
 * records every layer's output, or the next-token logits, optionally under a control vector.
 */
import type {LlamaContext} from "node-llama-cpp";
import {UserFacingError} from "../errors.js";
import {addonContextOf, BUILD_FIX, type ControlVectorBuffer, type NativeModule, expectedNCtx} from "./loader.js";
import {CAPTURE_POOL_POLL} from "./threadPool.js";

export type HiddenStateCapture = {
    /**
     * One array per layer N (the output of block N, `l_out-N`): n_tokens × n_embd floats, except the last layer,
     * which holds only the last token's row unless `allRows` (llama.cpp computes it only for output tokens).
     */
    capture(tokens: readonly number[], options?: {allRows?: boolean, steering?: ControlVectorBuffer | null}): Promise<Float32Array[]>,
    /**
     * The next-token logits after each token from `fromRow` on: (n_tokens − fromRow) × n_vocab floats, no hidden
     * states kept. With `steering`, tokens from `steerFrom` on (default 0: all) are evaluated with it and the ones
     * before without it, as a conversation under the reply-only policy evaluates them.
     */
    logits(tokens: readonly number[], options?: {fromRow?: number, steering?: ControlVectorBuffer | null,
        steerFrom?: number}): Promise<Float32Array>,
    free(): void
};

/** Throws when this llama.cpp cannot capture (the context info says why) or the capture context cannot be made. */
export function createHiddenStateCapture(mod: NativeModule, context: LlamaContext, maxTokens: number, threads: number): HiddenStateCapture {
    const info = mod.contextInfo(addonContextOf(context), expectedNCtx(context));
    if (info.captureError !== "") throw new Error(info.captureError);
    const handle = mod.createCaptureContext(addonContextOf(context), expectedNCtx(context), maxTokens, threads, CAPTURE_POOL_POLL);
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
