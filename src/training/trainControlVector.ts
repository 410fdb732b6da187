/**
 * Trains a control vector on the loaded model from contrasting prompt pairs: capture every layer's output for
 * each prompt (a second context on the same model, off the main thread), take positive − negative differences
 * and reduce them to one direction per layer. The direction measured at block N's output is written as
 * `direction.N`, where llama.cpp adds it (cvector-generator writes it one block later).
 */
import type {Token} from "node-llama-cpp";
import type {LoadedModel} from "../engine/runtime.js";
import {UserFacingError} from "../engine/errors.js";
import {tokenizePrompt} from "../engine/generateTokens.js";
import type {ControlVector} from "../steering/controlVector.js";
import {type LayerRange, steerableLayers} from "../steering/mixControlVectors.js";
import {checkedContextInfo, loadNativeSteering} from "../steering/nativeSteering.js";
import {checkLayerRange} from "../steering/steeringState.js";
import {computeDirection, type DirectionMethod, type LayerSamples} from "./directionMethods.js";

export type PositionMode = "last" | "all";

/** a prompt as text (tokenized with the model's BOS, special tokens parsed) or as tokens, used as they are */
export type TrainingPrompt = string | readonly Token[];

export type TrainOptions = {
    positives: readonly TrainingPrompt[],
    negatives: readonly TrainingPrompt[],
    method?: DirectionMethod,
    positions?: PositionMode,
    /** layers to write (default: every steerable layer, 1..n_layer−1) */
    layers?: LayerRange,
    scale?: "unit" | "typical",
    signal?: AbortSignal,
    /** prompts evaluated so far, of `total` (2 per pair) */
    onProgress?: (done: number, total: number) => void
};

export type TrainResult = {vector: ControlVector, evaluatedTokens: number, seconds: number};

/** Training pairs the i-th positive with the i-th negative prompt: both sides non-empty and equally long. */
export function checkPromptPairs(positives: readonly unknown[], negatives: readonly unknown[]) {
    if (positives.length === 0 || negatives.length === 0)
        throw new UserFacingError("Training needs at least one positive and one negative prompt");
    if (positives.length !== negatives.length)
        throw new UserFacingError(`Training needs as many positive prompts as negative ones: got ${positives.length} positive and ${negatives.length} negative`,
            "each line of the positive file pairs with the same line of the negative file");
}

export async function trainControlVector(loaded: LoadedModel, options: TrainOptions): Promise<TrainResult> {
    const {positives, negatives, method = "mean", positions = "last", scale = "unit", signal, onProgress} = options;
    checkPromptPairs(positives, negatives);
    const status = loadNativeSteering();
    if (!status.available) throw new UserFacingError(`Training is unavailable: ${status.reason}`, status.fix);
    const {model, context} = loaded;
    const info = checkedContextInfo(status.native, context, model, "Training");
    const layerRange = options.layers ?? steerableLayers(info.nLayer);
    checkLayerRange(layerRange, info, " for training");

    // tokenize everything first, so bad input fails before any compute
    const tokensOf = (prompt: TrainingPrompt) => (typeof prompt === "string" ? tokenizePrompt(model, prompt) : [...prompt]);
    const pairs = positives.map((p, i) => {
        let pos = tokensOf(p);
        let neg = tokensOf(negatives[i]!);
        if (positions === "all") {
            // pad the shorter prompt with the token for " ", as cvector-generator does
            const pad = model.tokenize(" ").at(-1)!;
            const length = Math.max(pos.length, neg.length);
            pos = [...pos, ...Array(length - pos.length).fill(pad)];
            neg = [...neg, ...Array(length - neg.length).fill(pad)];
        }
        return {pos, neg};
    });
    const limit = Math.min(model.trainContextSize, 8192);
    pairs.forEach(({pos, neg}, i) => {
        const longest = Math.max(pos.length, neg.length);
        if (longest > limit)
            throw new UserFacingError(`Prompt pair ${i + 1} is ${longest} tokens long, more than the ${limit} the model can take`, "shorten it");
    });
    // loops, not Math.max(...): spreading a 140k-line prompt file into one call overflows the stack
    let maxTokens = 0;
    for (const {pos, neg} of pairs) maxTokens = Math.max(maxTokens, pos.length, neg.length);

    const started = performance.now();
    const capture = status.native.createCapture(context, maxTokens, context.currentThreads || 1);
    const samples: LayerSamples[] = Array.from({length: info.nLayer}, () => ({diffs: [], typicalNorm: 0}));
    const normSums = new Float64Array(info.nLayer);
    let normCount = 0;
    let evaluatedTokens = 0;
    try {
        const total = pairs.length * 2;
        for (const [i, {pos, neg}] of pairs.entries()) {
            if (signal?.aborted) throw new UserFacingError("Training was cancelled");
            const allRows = positions === "all";
            const posLayers = await capture.capture(pos, {allRows});
            onProgress?.(i * 2 + 1, total);
            if (signal?.aborted) throw new UserFacingError("Training was cancelled");
            const negLayers = await capture.capture(neg, {allRows});
            onProgress?.(i * 2 + 2, total);
            evaluatedTokens += pos.length + neg.length;
            const rowsOf = (layer: Float32Array) =>
                Array.from({length: layer.length / info.nEmbd}, (_, r) => layer.subarray(r * info.nEmbd, (r + 1) * info.nEmbd));
            // a shared BOS row is the same on both sides (no contrast) and is usually far larger than the rest
            // (an attention sink), so it would only inflate the typical norm
            const firstRow = allRows && pos[0] === neg[0] && pos[0] === model.tokens.bos ? 1 : 0;
            // only the layers being trained: with --positions all on a big model, every layer would be gigabytes
            for (let L = layerRange.start; L <= layerRange.end; L++) {
                const p = rowsOf(posLayers[L]!);
                const n = rowsOf(negLayers[L]!);
                const used = positions === "last" ? [[p.at(-1)!, n.at(-1)!]] : p.slice(firstRow).map((row, r) => [row, n[r + firstRow]!]);
                for (const [a, b] of used) {
                    samples[L]!.diffs.push(Float32Array.from(a!, (x, k) => x - b![k]!));
                    normSums[L]! += norm(a!) + norm(b!);
                }
                if (L === layerRange.start) normCount += used.length * 2;
            }
        }
    } finally {
        capture.free();
    }
    const directions = new Map<number, Float32Array>();
    for (let L = layerRange.start; L <= layerRange.end; L++) {
        samples[L]!.typicalNorm = normSums[L]! / normCount;
        directions.set(L, computeDirection(samples[L]!, {method, scale}));
    }
    const architecture = model.fileInfo.metadata?.general?.architecture;
    return {
        vector: {nEmbd: info.nEmbd, directions, modelHint: typeof architecture === "string" ? architecture : undefined},
        evaluatedTokens,
        seconds: (performance.now() - started) / 1000
    };
}

/** The Euclidean norm (squares of float32 values summed in double cannot overflow). */
function norm(values: Float32Array): number {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[i]! * values[i]!;
    return Math.sqrt(sum);
}
