/**
 * The quality score of a trained vector (pure maths on captured hidden states): a direction is trained on 80 % of
 * the pairs (a seeded split) and checked on the other 20 %, per layer:
 * - AUROC of the held-out positive prompts' scores against the negative ones' (a prompt's score is its projection on
 *   the direction: the last token's for `positions: last`, the mean over its own tokens for `all`)
 * - the gap between their means, in spreads of the neutral baseline (the read-out's z-units)
 * - the mean cosine of the held-out pair differences (positive − negative score vectors) to the direction
 * The vector that is written still uses every pair; this measures how well the recipe generalises.
 */
import {auroc, baselineOf, mean, meanCosineToDirection, projectRows, unitDirection} from "../steering/readout.js";
import {rankLayers, type LayerQuality, type VectorQuality} from "../steering/vectorQuality.js";
import {computeDirection, type DirectionMethod} from "./directionMethods.js";

export type PairFeatures = {
    /** per layer: the positive / negative prompt's state to score (its last token's, or its mean over its tokens) */
    positive: Map<number, Float32Array>,
    negative: Map<number, Float32Array>,
    /** per layer: the pair's difference rows, as training uses them */
    diffs: Map<number, Float32Array[]>
};

export type HeldOutInput = {
    pairs: readonly PairFeatures[],
    split: {train: readonly number[], heldOut: readonly number[]},
    seed: number,
    layers: readonly number[],
    /** per layer: the neutral baseline text's rows (n_tokens × n_embd) */
    baselineStates: ReadonlyMap<number, Float32Array>,
    nEmbd: number,
    method: DirectionMethod
};

/** The held-out score, or undefined when there are too few pairs to hold any out. */
export function scoreHeldOut({pairs, split, seed, layers, baselineStates, nEmbd, method}: HeldOutInput): VectorQuality | undefined {
    if (split.heldOut.length === 0 || split.train.length === 0) return undefined;
    const scored = layers.map((layer): LayerQuality => {
        let direction: Float32Array;
        try {
            direction = computeDirection({diffs: split.train.flatMap((i) => pairs[i]!.diffs.get(layer)!), typicalNorm: 1}, {method});
        } catch {
            return {layer, auroc: NaN, gapZ: NaN, pairCosine: NaN}; // the training pairs carry no difference here
        }
        const unit = unitDirection(direction);
        const score = (state: Float32Array) => projectRows(state, nEmbd, unit)[0]!;
        const positive = split.heldOut.map((i) => score(pairs[i]!.positive.get(layer)!));
        const negative = split.heldOut.map((i) => score(pairs[i]!.negative.get(layer)!));
        const baseline = baselineOf(projectRows(baselineStates.get(layer)!, nEmbd, unit));
        const differences = split.heldOut.map((i) => {
            const p = pairs[i]!.positive.get(layer)!;
            const n = pairs[i]!.negative.get(layer)!;
            return Float32Array.from(p, (x, k) => x - n[k]!);
        });
        return {
            layer,
            auroc: auroc(positive, negative),
            gapZ: baseline.spread > 0 ? (mean(positive) - mean(negative)) / baseline.spread : NaN,
            pairCosine: meanCosineToDirection(differences, direction)
        };
    });
    return {trainPairs: split.train.length, heldOutPairs: split.heldOut.length, seed, layers: scored, bestLayers: rankLayers(scored)};
}

/** The state a prompt is scored by: its last row, or the mean of its rows (n × n_embd) from `firstRow` on. */
export function promptState(rows: Float32Array, nEmbd: number, positions: "last" | "all", firstRow: number): Float32Array {
    const count = rows.length / nEmbd;
    if (positions === "last" || count - firstRow <= 1) return rows.slice((count - 1) * nEmbd, count * nEmbd);
    const out = new Float32Array(nEmbd);
    const sums = new Float64Array(nEmbd);
    for (let r = firstRow; r < count; r++) for (let i = 0; i < nEmbd; i++) sums[i]! += rows[r * nEmbd + i]!;
    for (let i = 0; i < nEmbd; i++) out[i] = sums[i]! / (count - firstRow);
    return out;
}
