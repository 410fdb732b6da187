/**
 * Steering directions from paired hidden states (pure maths, no llama.cpp):
 * - mean: the mean of the positive − negative differences (CAA; cvector-generator's `mean`)
 * - pca: the first principal component of the differences, centred (repeng's `pca_diff`)
 * - pca-center: each pair centred on its midpoint, then the first principal component (repeng's `pca_center`);
 *   equivalent to the uncentred component of the differences, which is what cvector-generator's `pca` computes
 * The sign is fixed so positive examples project higher (cvector-generator leaves it to chance), and each
 * direction has unit norm, or the layer's typical hidden-state norm with `scale: "typical"`.
 */
export type DirectionMethod = "mean" | "pca" | "pca-center";
export const DIRECTION_METHODS: DirectionMethod[] = ["mean", "pca", "pca-center"];

export type LayerSamples = {
    /** difference rows (positive − negative), each n_embd long */
    diffs: Float32Array[],
    /** mean L2 norm of the hidden states seen at this layer, for `scale: "typical"` */
    typicalNorm: number
};

export type DirectionOptions = {method: DirectionMethod, scale?: "unit" | "typical", iterations?: number};

/** A row counts as zero (and is dropped, like cvector-generator does) when every |value| <= 1e-6. */
export function isZeroRow(row: Float32Array) {
    return row.every((x) => Math.abs(x) <= 1e-6);
}

export function computeDirection(samples: LayerSamples, {method, scale = "unit", iterations = 200}: DirectionOptions): Float32Array {
    const rows = samples.diffs.filter((r) => !isZeroRow(r));
    if (rows.length === 0) throw new Error("every positive/negative pair gave the same hidden state at this layer");
    const dim = rows[0]!.length;
    const meanDiff = new Float64Array(dim);
    for (const r of rows) for (let i = 0; i < dim; i++) meanDiff[i]! += r[i]!;
    for (let i = 0; i < dim; i++) meanDiff[i]! /= rows.length;

    let direction: Float64Array;
    if (method === "mean") direction = meanDiff;
    else direction = firstPrincipalComponent(rows, method === "pca" ? meanDiff : undefined, iterations, meanDiff);

    // positive examples must project higher than negative ones: mean(diff) · v > 0
    if (dot(direction, meanDiff) < 0) for (let i = 0; i < dim; i++) direction[i] = -direction[i]!;
    const norm = Math.sqrt(dot(direction, direction));
    if (!(norm > 0)) throw new Error("the direction came out as zero");
    const target = scale === "typical" ? samples.typicalNorm : 1;
    return Float32Array.from(direction, (x) => (x / norm) * target);
}

/**
 * Power iteration on XᵀX (X = rows, minus `center` when given) without forming the n_embd² matrix:
 * v ← Xᵀ(Xv), normalised, from a deterministic start (the mean difference), until it stops moving.
 */
function firstPrincipalComponent(rows: Float32Array[], center: Float64Array | undefined, iterations: number,
    start: Float64Array): Float64Array {
    const dim = rows[0]!.length;
    let v = Float64Array.from(start);
    if (center != null || dot(v, v) === 0) {
        // a centred problem has the mean removed, so start from the largest difference row instead
        let best = rows[0]!;
        for (const r of rows) if (sumSquares(r) > sumSquares(best)) best = r;
        v = Float64Array.from(best);
    }
    normalize(v);
    const projected = new Float64Array(rows.length);
    for (let it = 0; it < iterations; it++) {
        for (let r = 0; r < rows.length; r++) {
            const row = rows[r]!;
            let s = 0;
            for (let i = 0; i < dim; i++) s += (row[i]! - (center?.[i] ?? 0)) * v[i]!;
            projected[r] = s;
        }
        const next = new Float64Array(dim);
        for (let r = 0; r < rows.length; r++) {
            const row = rows[r]!;
            const p = projected[r]!;
            for (let i = 0; i < dim; i++) next[i]! += (row[i]! - (center?.[i] ?? 0)) * p;
        }
        if (normalize(next) === 0) return v; // the data has no spread left (e.g. a single centred row)
        const change = 1 - Math.abs(dot(next, v));
        v = next;
        if (change < 1e-12) break;
    }
    return v;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>) {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
    return s;
}

function sumSquares(a: Float32Array) {
    return dot(a, a);
}

function normalize(v: Float64Array) {
    const norm = Math.sqrt(dot(v, v));
    if (norm > 0) for (let i = 0; i < v.length; i++) v[i] = v[i]! / norm;
    return norm;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>) {
    return dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
}
