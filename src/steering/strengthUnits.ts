/**
 * Calibrated steering strength, "σ" (pure maths, no llama.cpp).
 *
 * A raw llama.cpp coefficient means nothing across vectors or models: the residual stream of one model is 50 times
 * larger than another's, and vectors come unit-norm (cvector-generator), PCA-scaled (repeng) or at the layer's
 * norm. A model's calibration records, per layer, the typical norm ‖h_l‖ of its hidden states (the output of block l)
 * on a short neutral text. A vector added with coefficient c at layer l then has the strength
 *
 *     σ_l = c · ‖direction_l‖ / typicalNorm_l
 *
 * (+0.5σ: the added vector is half as long as that layer's typical hidden state). A vector over several layers has
 * one coefficient, so the layers are combined into one number: the mean of σ_l weighted by ‖direction_l‖, i.e.
 *
 *     σ = c · Σ_l ‖d_l‖² / typicalNorm_l  /  Σ_l ‖d_l‖
 *
 * Layers where the vector barely acts barely count (a vector with one strong layer and tiny others is as strong as
 * that layer); a one-layer vector gets exactly c·‖d‖/typicalNorm; a unit vector on every layer gets the plain mean
 * of c/typicalNorm_l. Since σ is linear in c, converting either way is one division.
 *
 * The typical norm of a layer is the median over the calibration text's tokens (the BOS row left out: it is an
 * attention sink, often tens of times larger than the rest) of the per-token L2 norm: robust to a few odd tokens.
 */
import type {ControlVector} from "./controlVector.js";
import type {LayerRange} from "./mixControlVectors.js";

export const CALIBRATION_VERSION = 1;

export type LayerNorm = {layer: number, typicalNorm: number};

/** What a model's calibration stores (the cache file's JSON). */
export type ModelCalibration = {
    version: typeof CALIBRATION_VERSION,
    /** the model file's SHA-256 (what the cache is keyed by) */
    modelHash: string,
    nEmbd: number,
    nLayer: number,
    /** how many tokens of the calibration text were measured (BOS left out) */
    tokens: number,
    /** SHA-256 of the calibration text: a changed text makes a new calibration */
    textHash: string,
    /** layers 1..nLayer-1 (the ones llama.cpp can steer), ascending */
    layers: LayerNorm[]
};

/** The median of the values (the mean of the middle two for an even count); NaN for none. */
export function median(values: ArrayLike<number>): number {
    if (values.length === 0) return NaN;
    const sorted = Float64Array.from(values).sort();
    const mid = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The L2 norm of each row of `rows` (n × nEmbd floats, row-major). */
export function rowNorms(rows: ArrayLike<number>, nEmbd: number): Float64Array {
    if (rows.length % nEmbd !== 0) throw new Error(`${rows.length} values are not whole rows of ${nEmbd}`);
    const out = new Float64Array(rows.length / nEmbd);
    for (let r = 0; r < out.length; r++) {
        let s = 0;
        for (let i = 0; i < nEmbd; i++) s += rows[r * nEmbd + i]! ** 2;
        out[r] = Math.sqrt(s);
    }
    return out;
}

/** The typical norm of a layer: the median of its rows' norms. */
export function typicalNorm(rows: ArrayLike<number>, nEmbd: number): number {
    return median(rowNorms(rows, nEmbd));
}

export function vectorNorm(values: ArrayLike<number>): number {
    let s = 0;
    for (let i = 0; i < values.length; i++) s += values[i]! ** 2;
    return Math.sqrt(s);
}

/** A layer's typical norm, or undefined when the calibration has none (outside the steerable layers). */
function normAt(calibration: Pick<ModelCalibration, "layers">, layer: number): number | undefined {
    return calibration.layers.find((l) => l.layer === layer)?.typicalNorm;
}

/**
 * The layers of `vector` that a coefficient acts on: those with a non-zero direction, within `range` and the
 * calibrated (steerable) layers.
 */
export function actingLayers(vector: ControlVector, calibration: Pick<ModelCalibration, "layers">, range?: LayerRange): number[] {
    return [...vector.directions.keys()].sort((a, b) => a - b).filter((layer) =>
        (range == null || (layer >= range.start && layer <= range.end)) && (normAt(calibration, layer) ?? 0) > 0
        && vectorNorm(vector.directions.get(layer)!) > 0);
}

/** Per acting layer, σ_l for coefficient 1: ‖d_l‖ / typicalNorm_l. */
export function sigmaPerLayer(vector: ControlVector, calibration: Pick<ModelCalibration, "layers">, range?: LayerRange): {layer: number, sigma: number}[] {
    return actingLayers(vector, calibration, range).map((layer) =>
        ({layer, sigma: vectorNorm(vector.directions.get(layer)!) / normAt(calibration, layer)!}));
}

/**
 * σ per unit of coefficient: the ‖d_l‖-weighted mean of σ_l at coefficient 1. Undefined when the vector acts on no
 * calibrated layer (all zero, or all outside the range): no coefficient then has a strength.
 */
export function sigmaPerCoefficient(vector: ControlVector, calibration: Pick<ModelCalibration, "layers">, range?: LayerRange): number | undefined {
    let weighted = 0;
    let weights = 0;
    for (const layer of actingLayers(vector, calibration, range)) {
        const norm = vectorNorm(vector.directions.get(layer)!);
        weighted += norm * (norm / normAt(calibration, layer)!);
        weights += norm;
    }
    return weights > 0 ? weighted / weights : undefined;
}

export class UncalibratedVectorError extends Error {
    constructor() {
        super("the vector acts on no calibrated layer (its directions are zero or outside the layers steered)");
        this.name = "UncalibratedVectorError";
    }
}

/** The strength in σ of `coefficient` on this vector and model. */
export function sigmaForCoefficient(coefficient: number, vector: ControlVector, calibration: Pick<ModelCalibration, "layers">, range?: LayerRange): number {
    const perUnit = sigmaPerCoefficient(vector, calibration, range);
    if (perUnit == null) throw new UncalibratedVectorError();
    return coefficient * perUnit;
}

/** The raw llama.cpp coefficient that gives `sigma` on this vector and model. */
export function coefficientForSigma(sigma: number, vector: ControlVector, calibration: Pick<ModelCalibration, "layers">, range?: LayerRange): number {
    const perUnit = sigmaPerCoefficient(vector, calibration, range);
    if (perUnit == null) throw new UncalibratedVectorError();
    return sigma / perUnit;
}

/** `+0.50σ`, `-1.20σ` */
export function formatSigma(sigma: number, digits = 2): string {
    return `${sigma >= 0 ? "+" : ""}${sigma.toFixed(digits)}σ`;
}

/** What is wrong with an untrusted calibration (a cache file), or undefined. */
export function calibrationProblem(value: unknown): string | undefined {
    if (value == null || typeof value !== "object" || Array.isArray(value)) return "not a JSON object";
    const v = value as Record<string, unknown>;
    if (v.version !== CALIBRATION_VERSION) return `version is not ${CALIBRATION_VERSION}`;
    if (typeof v.modelHash !== "string" || !/^[0-9a-f]{64}$/.test(v.modelHash)) return "modelHash must be a SHA-256 in hex";
    if (typeof v.textHash !== "string" || !/^[0-9a-f]{64}$/.test(v.textHash)) return "textHash must be a SHA-256 in hex";
    for (const key of ["nEmbd", "nLayer", "tokens"] as const)
        if (!Number.isSafeInteger(v[key]) || (v[key] as number) < 1) return `${key} must be a whole number >= 1`;
    if (!Array.isArray(v.layers)) return "layers must be a list";
    const nLayer = v.nLayer as number;
    if (v.layers.length !== nLayer - 1) return `layers must list the ${nLayer - 1} steerable layers`;
    for (const [i, l] of (v.layers as unknown[]).entries()) {
        const layer = l as {layer?: unknown, typicalNorm?: unknown} | null;
        if (layer == null || typeof layer !== "object") return `layers[${i}] must be an object`;
        if (layer.layer !== i + 1) return `layers[${i}].layer must be ${i + 1}`;
        if (typeof layer.typicalNorm !== "number" || !Number.isFinite(layer.typicalNorm) || layer.typicalNorm <= 0)
            return `layers[${i}].typicalNorm must be a number > 0`;
    }
    return undefined;
}
