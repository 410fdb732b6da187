/**
 * The control for /sweep: a seeded random direction with the same per-layer norms as a vector. Steering with it at
 * the same coefficient pushes the residual stream as hard, at the same layers, in no meaningful direction — if it
 * degrades the text as much as the real vector, the real vector's effect is only damage. Pure: no llama.cpp.
 */
import {seededRandom} from "../random.js";
import type {ControlVector} from "./controlVector.js";
import {vectorNorm} from "./strengthUnits.js";

/** Standard normal values (Box–Muller) from a seeded uniform source: a direction uniform on the sphere once scaled. */
function gaussian(rand: () => number): () => number {
    let spare: number | undefined;
    return () => {
        if (spare != null) {
            const value = spare;
            spare = undefined;
            return value;
        }
        const u = 1 - rand(); // (0, 1]: log(0) is never taken
        const v = rand();
        const r = Math.sqrt(-2 * Math.log(u));
        spare = r * Math.sin(2 * Math.PI * v);
        return r * Math.cos(2 * Math.PI * v);
    };
}

/**
 * A vector whose direction at each layer is random (seeded: the same seed gives the same bits) and as long as the
 * vector's own there (a zero direction stays zero). Its coefficients, σ and layer ranges then mean what the
 * vector's mean.
 */
export function randomDirectionLike(vector: ControlVector, seed: number): ControlVector {
    const normal = gaussian(seededRandom(seed));
    const directions = new Map<number, Float32Array>();
    for (const layer of [...vector.directions.keys()].sort((a, b) => a - b)) {
        const target = vectorNorm(vector.directions.get(layer)!);
        const values = Float64Array.from({length: vector.nEmbd}, () => normal());
        const norm = vectorNorm(values);
        directions.set(layer, Float32Array.from(values, (x) => (target > 0 ? (x / norm) * target : 0)));
    }
    return {nEmbd: vector.nEmbd, directions, ...(vector.modelHint != null ? {modelHint: vector.modelHint} : {})};
}
