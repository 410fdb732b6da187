/**
 * Trains a control vector on the loaded model from contrasting prompt pairs: capture every layer's output for
 * each prompt (a second context on the same model, off the main thread), take positive − negative differences
 * and reduce them to one direction per layer. The direction measured at block N's output is written as
 * `direction.N`, where llama.cpp adds it (cvector-generator writes it one block later).
 */
import type {Token} from "node-llama-cpp";
import type {LoadedModel} from "../engine/runtime.js";
import {UserFacingError} from "../errors.js";
import {tokenizePrompt} from "../engine/generateTokens.js";
import {checkedContextInfo, loadNativeSteering} from "../native/steeringBridge.js";
import type {ControlVector} from "../steering/controlVector.js";
import {type LayerRange, steerableLayers} from "../steering/mixControlVectors.js";
import {NEUTRAL_BASELINE_TEXT} from "../steering/conceptReader.js";
import {heldOutSplit} from "../steering/readout.js";
import {checkLayerRange} from "../steering/steeringState.js";
import {computeDirection, type DirectionMethod, type LayerSamples} from "./directionMethods.js";
import {promptState, scoreHeldOut, type PairFeatures} from "./heldOutQuality.js";

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
    /** the seed of the held-out split the quality score is measured on (default 0) */
    seed?: number,
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
    const {positives, negatives, method = "mean", positions = "last", scale = "unit", seed = 0, signal, onProgress} = options;
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
        const lengths = {pos: pos.length, neg: neg.length};
        if (positions === "all") {
            // pad the shorter prompt with the token for " ", as cvector-generator does
            const pad = model.tokenize(" ").at(-1)!;
            const length = Math.max(pos.length, neg.length);
            pos = [...pos, ...Array(length - pos.length).fill(pad)];
            neg = [...neg, ...Array(length - neg.length).fill(pad)];
        }
        return {pos, neg, lengths};
    });
    const limit = Math.min(model.trainContextSize, 8192);
    pairs.forEach(({pos, neg}, i) => {
        const longest = Math.max(pos.length, neg.length);
        if (longest > limit)
            throw new UserFacingError(`Prompt pair ${i + 1} is ${longest} tokens long, more than the ${limit} the model can take`, "shorten it");
    });
    const baselineTokens = tokenizePrompt(model, NEUTRAL_BASELINE_TEXT);
    // loops, not Math.max(...): spreading a 140k-line prompt file into one call overflows the stack
    let maxTokens = baselineTokens.length;
    for (const {pos, neg} of pairs) maxTokens = Math.max(maxTokens, pos.length, neg.length);
    const layers = Array.from({length: layerRange.end - layerRange.start + 1}, (_, i) => layerRange.start + i);

    const split = heldOutSplit(pairs.length, {seed});
    const started = performance.now();
    const capture = status.native.createCapture(context, maxTokens, context.currentThreads || 1);
    const features: (PairFeatures & {normSums: Map<number, number>, rowCount: number})[] = [];
    const normSums = new Float64Array(info.nLayer);
    let normCount = 0;
    let evaluatedTokens = 0;
    const baselineStates = new Map<number, Float32Array>();
    try {
        const total = pairs.length * 2;
        for (const [i, {pos, neg, lengths}] of pairs.entries()) {
            if (signal?.aborted) throw new UserFacingError("Training was cancelled");
            const allRows = positions === "all";
            const posLayers = await capture.capture(pos, {allRows});
            onProgress?.(i * 2 + 1, total);
            if (signal?.aborted) throw new UserFacingError("Training was cancelled");
            const negLayers = await capture.capture(neg, {allRows});
            onProgress?.(i * 2 + 2, total);
            evaluatedTokens += pos.length + neg.length;
            const pair = pairFeatures(posLayers, negLayers, {pos, neg, lengths},
                {nEmbd: info.nEmbd, layers, positions, bos: model.tokens.bos});
            for (const L of layers) normSums[L]! += pair.normSums.get(L)!;
            normCount += pair.rowCount;
            features.push(pair);
        }
        if (split.heldOut.length > 0) {
            const baseline = await capture.capture(baselineTokens, {allRows: true});
            const skip = baselineTokens[0] === model.tokens.bos ? info.nEmbd : 0;
            for (const L of layers) baselineStates.set(L, baseline[L]!.subarray(skip));
        }
    } finally {
        capture.free();
    }
    const directions = new Map<number, Float32Array>();
    for (const L of layers) {
        const samples: LayerSamples = {diffs: features.flatMap((f) => f.diffs.get(L)!), typicalNorm: normSums[L]! / normCount};
        directions.set(L, computeDirection(samples, {method, scale}));
    }
    const quality = scoreHeldOut({pairs: features, split, seed, layers, baselineStates, nEmbd: info.nEmbd, method});
    const architecture = model.fileInfo.metadata?.general?.architecture;
    return {
        vector: {nEmbd: info.nEmbd, directions, modelHint: typeof architecture === "string" ? architecture : undefined, ...(quality && {quality})},
        evaluatedTokens,
        seconds: (performance.now() - started) / 1000
    };
}

type PairShape = {nEmbd: number, layers: readonly number[], positions: PositionMode, bos: Token | null | undefined};

/**
 * One pair's training rows (positive − negative, per layer), the states its prompts are scored by, and the sum of its
 * rows' norms (for `scale: "typical"`). Only the layers being trained: with --positions all on a big model, every
 * layer would be gigabytes.
 */
function pairFeatures(posLayers: Float32Array[], negLayers: Float32Array[],
    {pos, neg, lengths}: {pos: readonly Token[], neg: readonly Token[], lengths: {pos: number, neg: number}},
    {nEmbd, layers, positions, bos}: PairShape): PairFeatures & {normSums: Map<number, number>, rowCount: number} {
    const rowsOf = (layer: Float32Array) =>
        Array.from({length: layer.length / nEmbd}, (_, r) => layer.subarray(r * nEmbd, (r + 1) * nEmbd));
    // a shared BOS row is the same on both sides (no contrast) and is usually far larger than the rest
    // (an attention sink), so it would only inflate the typical norm
    const firstRow = positions === "all" && pos[0] === neg[0] && pos[0] === bos ? 1 : 0;
    // a prompt is scored on its own tokens: without the padding, and without its BOS row
    const scoredState = (layer: Float32Array, length: number, tokens: readonly Token[]) =>
        promptState(layer.subarray(0, Math.min(layer.length, length * nEmbd)), nEmbd, positions, tokens[0] === bos ? 1 : 0);
    const pair = {positive: new Map(), negative: new Map(), diffs: new Map(), normSums: new Map(), rowCount: 0};
    for (const L of layers) {
        const p = rowsOf(posLayers[L]!);
        const n = rowsOf(negLayers[L]!);
        const used = positions === "last" ? [[p.at(-1)!, n.at(-1)!]] : p.slice(firstRow).map((row, r) => [row, n[r + firstRow]!]);
        pair.diffs.set(L, used.map(([a, b]) => Float32Array.from(a!, (x, k) => x - b![k]!)));
        pair.normSums.set(L, used.reduce((sum, [a, b]) => sum + norm(a!) + norm(b!), 0));
        pair.rowCount = used.length * 2;
        pair.positive.set(L, scoredState(posLayers[L]!, lengths.pos, pos));
        pair.negative.set(L, scoredState(negLayers[L]!, lengths.neg, neg));
    }
    return pair;
}

/** The Euclidean norm (squares of float32 values summed in double cannot overflow). */
function norm(values: Float32Array): number {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[i]! * values[i]!;
    return Math.sqrt(sum);
}
