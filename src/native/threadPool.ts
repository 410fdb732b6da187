/**
 * A persistent ggml CPU thread pool for a node-llama-cpp context, as llama.cpp's own tools attach one. Without it,
 * every llama_decode starts and joins its worker threads (node-llama-cpp attaches none): on 2 cores that made
 * generation 15× slower at 2 threads than at 1.
 */
import type {LlamaContext} from "node-llama-cpp";
import {addonContextOf, findNativeModule, type ThreadPoolHandle, expectedNCtx} from "./loader.js";

/**
 * How long an idle pool thread polls for the next graph before it sleeps, on ggml's 0–100 scale. 0: it sleeps at
 * once. Measured on 2 cores with the native loop (stories260K, 2 threads): poll 0 gave 2,481 tok/s over 300 tokens
 * and 1,146 over 1,000, ggml's default 50 gave 2,211 and 1,113 (llama-completion itself loses ~5 % at `--poll 0`);
 * and a polling thread takes a core from the JS thread and the terminal between tokens and between replies.
 */
export const THREAD_POOL_POLL = 0;

/**
 * The capture context's pool polls at ggml's default: with cb_eval llama.cpp computes each layer's sub-graph on its
 * own, so its threads are woken once per layer, and sleeping between them made the read-out 20× and training 5×
 * slower (bench: read-out / reply 0.49 at poll 0, 0.02 at 50). A capture runs after a reply, not beside the JS thread.
 */
export const CAPTURE_POOL_POLL = 50;

export type AttachedThreadPool = {
    /** detaches the pool if the context still lives, and frees it; call after the context is disposed, or before */
    free(): void
};

/** The pool attached, or why there is none (then ggml starts threads per decode, as before). */
export type ThreadPoolResult = {attached: true, pool: AttachedThreadPool} | {attached: false, reason: string};

export function attachThreadPool(context: LlamaContext, threads: number, poll = THREAD_POOL_POLL): ThreadPoolResult {
    const found = findNativeModule();
    if (!found.available) return {attached: false, reason: found.reason};
    const mod = found.module;
    if (mod.attachThreadPool == null || mod.freeThreadPool == null)
        return {attached: false, reason: "the native helper is older than this steer-chat (no thread pool)"};
    let handle: ThreadPoolHandle | undefined;
    try {
        handle = mod.attachThreadPool(addonContextOf(context), expectedNCtx(context), threads, poll);
    } catch (err) {
        return {attached: false, reason: (err as Error).message};
    }
    const free = mod.freeThreadPool;
    return {attached: true, pool: {
        free() {
            if (handle == null) return;
            free(handle);
            handle = undefined;
        }
    }};
}
