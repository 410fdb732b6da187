/**
 * Mixes the active vectors into the one buffer llama_set_adapter_cvec takes, exactly as llama.cpp's
 * `--control-vector-scaled` and `--control-vector-layer-range` do: Σ coefficient × direction with float32 rounding
 * at each step in file order (common_control_vector_load), layers 1..n_layer-1 laid out from layer 1.
 * Pure: no llama.cpp, so it is tested directly.
 */
import {UserFacingError} from "../errors.js";
import type {ControlVectorBuffer, ScaleAddKernel} from "../native/loader.js";
import type {ControlVector} from "./controlVector.js";

export type LayerRange = {start: number, end: number};

/** The layers llama.cpp can steer: it makes control-vector tensors for layers 1..n_layer-1 only (llama_adapter_cvec). */
export function steerableLayers(nLayer: number): LayerRange {
    return {start: 1, end: nLayer - 1};
}

export type MixEntry = {
    vector: ControlVector,
    coefficient: number,
    enabled: boolean,
    /** layers this vector applies to; all layers when absent */
    layers?: LayerRange,
    /** for messages: what the vector is called and where it came from */
    name?: string,
    source?: string
};

/** Finite vectors whose sum is not: adding `entry` made a layer of the mix overflow float32. */
export class SteeringOverflowError extends UserFacingError {
    constructor(entry: MixEntry, layer: number) {
        super(`Adding ${entry.name ?? "a vector"}${entry.source ? ` (${entry.source})` : ""} at ${entry.coefficient} makes the steering at layer ${layer} overflow float32 (infinite values)`,
            "lower the coefficients, or check the vector files' values");
        this.name = "SteeringOverflowError";
    }
}

/** the mix, in the buffer the native helper hands to llama_set_adapter_cvec (n_embd × (n_layer − 1) floats, layer 1 first) */
export type MixedControlVector = ControlVectorBuffer;

/** the reference ScaleAddKernel: the native helper's vectorised one has the same bits */
export const scaleAddJs: ScaleAddKernel = (out, direction, coefficient) => {
    // float32 semantics: the product is rounded to float32 before the sum, and storing into the
    // Float32Array rounds the sum (a double sum of two float32s rounds to the float32 sum exactly)
    for (let i = 0; i < out.length; i++) out[i] += Math.fround(direction[i]! * coefficient);
};

/**
 * Returns the mixed buffer, or null when nothing would change the model (no entries on, or every coefficient 0):
 * null means "clear the control vector", which makes output bit-for-bit the unsteered output. Every input is finite,
 * but a sum can still overflow: that throws a SteeringOverflowError naming the vector that tipped it, so infinite
 * values never reach the model.
 */
export function mixControlVectors(entries: readonly MixEntry[], model: {nEmbd: number, nLayer: number},
    scaleAdd: ScaleAddKernel = scaleAddJs): MixedControlVector | null {
    const active = entries.filter((e) => e.enabled && e.coefficient !== 0);
    if (active.length === 0) return null;
    const {nEmbd, nLayer} = model;
    // llama.cpp only has tensors for layers 1..n_layer-1; a full-size buffer also overwrites stale layers
    const data = new Float32Array(nEmbd * Math.max(0, nLayer - 1));
    let layerStart = Infinity;
    let layerEnd = -Infinity;
    for (const entry of active) {
        if (entry.vector.nEmbd !== nEmbd)
            throw new Error(`control vector has n_embd ${entry.vector.nEmbd}, the model has ${nEmbd}`);
        const start = Math.max(1, entry.layers?.start ?? 1);
        const end = entry.layers?.end ?? nLayer;
        layerStart = Math.min(layerStart, start);
        layerEnd = Math.max(layerEnd, end);
        const coefficient = Math.fround(entry.coefficient); // llama.cpp keeps the strength as a float
        for (const [layer, direction] of entry.vector.directions) {
            if (layer < start || layer > end || layer > nLayer - 1) continue;
            const slice = data.subarray((layer - 1) * nEmbd, layer * nEmbd);
            scaleAdd(slice, direction, coefficient);
            if (!allFinite(slice)) throw new SteeringOverflowError(entry, layer);
        }
    }
    return {data, nEmbd, layerStart, layerEnd};
}

function allFinite(values: Float32Array): boolean {
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return false;
    return true;
}
