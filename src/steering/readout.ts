/**
 * Reading a concept back (pure maths, no llama.cpp): a steering vector is also a probe. The projection of a hidden
 * state on a vector's unit direction says how much of the concept the model carries at that token and layer.
 * - projections: per token and layer, h · d/|d|
 * - a read-out: the mean projection over the tokens at each of the vector's layers, as a z-score against a
 *   baseline (the mean and spread of the per-token projection on a neutral text, per layer)
 * - quality of a trained vector: AUROC of held-out positive vs negative scores (the Mann–Whitney statistic, ties
 *   counting one half), the mean cosine of pair differences to the direction, and a seeded held-out split
 */
import {seededRandom} from "../random.js";

/** d/|d| in float64; throws on a zero direction (it reads nothing). */
export function unitDirection(direction: ArrayLike<number>): Float64Array {
    const norm = Math.sqrt(dot(direction, direction));
    if (!(norm > 0) || !Number.isFinite(norm)) throw new Error("a zero direction has no projection");
    return Float64Array.from({length: direction.length}, (_, i) => direction[i]! / norm);
}

/** The projection of each row of `rows` (n × nEmbd floats, row-major) on the unit direction `unit`. */
export function projectRows(rows: ArrayLike<number>, nEmbd: number, unit: ArrayLike<number>): Float64Array {
    if (unit.length !== nEmbd) throw new Error(`the direction has ${unit.length} values, the hidden states ${nEmbd}`);
    if (rows.length % nEmbd !== 0) throw new Error(`${rows.length} values are not whole rows of ${nEmbd}`);
    const out = new Float64Array(rows.length / nEmbd);
    for (let r = 0; r < out.length; r++) {
        let s = 0;
        for (let i = 0; i < nEmbd; i++) s += rows[r * nEmbd + i]! * unit[i]!;
        out[r] = s;
    }
    return out;
}

/** Per token (rows) and layer (columns) projections: `values[t * layers.length + j]` is token t at `layers[j]`. */
export type ProjectionMatrix = {layers: number[], nTokens: number, values: Float64Array};

/** Builds the matrix from one projection array per layer (each `nTokens` long). */
export function projectionMatrix(columns: ReadonlyMap<number, ArrayLike<number>>): ProjectionMatrix {
    const layers = [...columns.keys()].sort((a, b) => a - b);
    const nTokens = layers.length === 0 ? 0 : columns.get(layers[0]!)!.length;
    const values = new Float64Array(nTokens * layers.length);
    layers.forEach((layer, j) => {
        const column = columns.get(layer)!;
        if (column.length !== nTokens) throw new Error(`layer ${layer} has ${column.length} tokens, layer ${layers[0]} has ${nTokens}`);
        for (let t = 0; t < nTokens; t++) values[t * layers.length + j] = column[t]!;
    });
    return {layers, nTokens, values};
}

export function column(matrix: ProjectionMatrix, layer: number): Float64Array {
    const j = matrix.layers.indexOf(layer);
    if (j < 0) throw new Error(`layer ${layer} is not in the matrix`);
    return Float64Array.from({length: matrix.nTokens}, (_, t) => matrix.values[t * matrix.layers.length + j]!);
}

export function mean(values: ArrayLike<number>): number {
    if (values.length === 0) return NaN;
    let s = 0;
    for (let i = 0; i < values.length; i++) s += values[i]!;
    return s / values.length;
}

/** The sample standard deviation (n − 1); 0 for fewer than two values. */
export function spread(values: ArrayLike<number>): number {
    if (values.length < 2) return 0;
    const m = mean(values);
    let s = 0;
    for (let i = 0; i < values.length; i++) s += (values[i]! - m) ** 2;
    return Math.sqrt(s / (values.length - 1));
}

/** What a layer's projection typically is on neutral text: its mean and spread over the tokens. */
export type LayerBaseline = {mean: number, spread: number};

export function baselineOf(projections: ArrayLike<number>): LayerBaseline {
    return {mean: mean(projections), spread: spread(projections)};
}

/** (value − mean) / spread; NaN when the baseline has no spread (nothing to measure against). */
export function zScore(value: number, baseline: LayerBaseline): number {
    return baseline.spread > 0 ? (value - baseline.mean) / baseline.spread : NaN;
}

export type LayerReadout = {layer: number, meanProjection: number, z: number};

export type Readout = {
    layers: LayerReadout[],
    /** the mean of the layers' z-scores: the one number a meter shows */
    z: number,
    /** per token: the mean over the layers of the token's z-score (which tokens carried the concept) */
    tokenZ: Float64Array
};

/** Summarises a text's projections against the baseline of each layer (which must cover every layer of the matrix). */
export function readout(matrix: ProjectionMatrix, baselines: ReadonlyMap<number, LayerBaseline>): Readout {
    const base = matrix.layers.map((layer) => {
        const b = baselines.get(layer);
        if (b == null) throw new Error(`no baseline for layer ${layer}`);
        return b;
    });
    const layers = matrix.layers.map((layer, j) => {
        const meanProjection = mean(column(matrix, layer));
        return {layer, meanProjection, z: zScore(meanProjection, base[j]!)};
    });
    const width = matrix.layers.length;
    const tokenZ = Float64Array.from({length: matrix.nTokens}, (_, t) =>
        mean(base.map((b, j) => zScore(matrix.values[t * width + j]!, b))));
    return {layers, z: mean(layers.map((l) => l.z)), tokenZ};
}

/**
 * The area under the ROC curve of `positives` against `negatives`: the chance that a random positive scores above a
 * random negative, ties counting one half (the Mann–Whitney U over n₊·n₋). 1 separates perfectly, 0.5 is chance.
 */
export function auroc(positives: readonly number[], negatives: readonly number[]): number {
    if (positives.length === 0 || negatives.length === 0) return NaN;
    // rank all values together, ties sharing their mean rank; U = (sum of positive ranks) − n₊(n₊ + 1)/2
    const all = [...positives.map((v) => ({v, positive: true})), ...negatives.map((v) => ({v, positive: false}))]
        .sort((a, b) => a.v - b.v);
    let positiveRanks = 0;
    for (let i = 0; i < all.length;) {
        let j = i;
        while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
        const rank = (i + j) / 2 + 1;
        for (let k = i; k <= j; k++) if (all[k]!.positive) positiveRanks += rank;
        i = j + 1;
    }
    const u = positiveRanks - (positives.length * (positives.length + 1)) / 2;
    return u / (positives.length * negatives.length);
}

export const HELD_OUT_FRACTION = 0.2;

/**
 * A seeded split of `count` pairs into training and held-out indices (each sorted): round(fraction · count) held out,
 * at least one once there are two pairs, and never all of them. Fewer than two pairs hold nothing out.
 */
export function heldOutSplit(count: number, {seed = 0, fraction = HELD_OUT_FRACTION}: {seed?: number, fraction?: number} = {}) {
    const indices = Array.from({length: count}, (_, i) => i);
    const rand = seededRandom(seed);
    for (let i = count - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [indices[i], indices[j]] = [indices[j]!, indices[i]!];
    }
    const heldOutCount = count < 2 ? 0 : Math.min(count - 1, Math.max(1, Math.round(fraction * count)));
    const byIndex = (a: number, b: number) => a - b;
    return {train: indices.slice(heldOutCount).sort(byIndex), heldOut: indices.slice(0, heldOutCount).sort(byIndex)};
}

/** The mean cosine of each difference row to the direction (zero rows, which have no direction, are left out). */
export function meanCosineToDirection(diffs: readonly ArrayLike<number>[], direction: ArrayLike<number>): number {
    const unit = unitDirection(direction);
    const cosines: number[] = [];
    for (const d of diffs) {
        const norm = Math.sqrt(dot(d, d));
        if (norm > 0) cosines.push(dot(d, unit) / norm);
    }
    return mean(cosines);
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>) {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
    return s;
}
