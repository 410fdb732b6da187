/**
 * A trained vector's quality score, as `steer-chat train` measures it on held-out pairs and stores it in the
 * vector's GGUF under `steer-chat.quality.*` keys (llama.cpp ignores keys it does not know). Pure.
 */
import {gguf, type GgufValue} from "../gguf/ggufWriter.js";

export type LayerQuality = {
    layer: number,
    /** how well the direction separates held-out positive from negative prompts (0.5 is chance, 1 perfect) */
    auroc: number,
    /** held-out mean positive − mean negative projection, in spreads of the neutral baseline at this layer */
    gapZ: number,
    /** mean cosine of the held-out pair differences to the direction: how consistent the pairs are */
    pairCosine: number
};

export type VectorQuality = {
    /** the pairs the checked direction was trained on, and the ones it was checked on */
    trainPairs: number,
    heldOutPairs: number,
    /** the seed of the held-out split */
    seed: number,
    layers: LayerQuality[],
    /** the layers that read best, best first */
    bestLayers: number[]
};

/** below this best held-out AUROC a vector does not separate its own data: it is warned about */
export const WEAK_AUROC = 0.6;
const BEST_LAYER_COUNT = 3;

/** The layers ranked by held-out AUROC, then by gap: the first few are "best". */
export function rankLayers(layers: readonly LayerQuality[], count = BEST_LAYER_COUNT): number[] {
    const score = (x: number) => (Number.isNaN(x) ? -Infinity : x);
    return [...layers].sort((a, b) => score(b.auroc) - score(a.auroc) || score(b.gapZ) - score(a.gapZ) || a.layer - b.layer)
        .slice(0, count).map((l) => l.layer);
}

export function bestLayer(quality: VectorQuality): LayerQuality | undefined {
    return quality.layers.find((l) => l.layer === quality.bestLayers[0]);
}

const KEY = "steer-chat.quality";

export function qualityMetadata(quality: VectorQuality): Record<string, GgufValue> {
    return {
        [`${KEY}.train_pairs`]: gguf.u32(quality.trainPairs),
        [`${KEY}.held_out_pairs`]: gguf.u32(quality.heldOutPairs),
        [`${KEY}.seed`]: gguf.u32(quality.seed),
        [`${KEY}.layers`]: gguf.i32Arr(quality.layers.map((l) => l.layer)),
        [`${KEY}.auroc`]: gguf.f32Arr(quality.layers.map((l) => l.auroc)),
        [`${KEY}.gap_z`]: gguf.f32Arr(quality.layers.map((l) => l.gapZ)),
        [`${KEY}.pair_cosine`]: gguf.f32Arr(quality.layers.map((l) => l.pairCosine)),
        [`${KEY}.best_layers`]: gguf.i32Arr(quality.bestLayers)
    };
}

/**
 * The quality score from a GGUF's metadata as node-llama-cpp nests it (`metadata["steer-chat"].quality`), or
 * undefined when there is none or it is malformed (a score is advice: a bad one never stops a vector loading).
 */
export function parseQualityMetadata(metadata: Record<string, unknown>): VectorQuality | undefined {
    const q = (metadata["steer-chat"] as {quality?: Record<string, unknown>} | undefined)?.quality;
    if (q == null || typeof q !== "object") return undefined;
    const count = (x: unknown) => (typeof x === "number" && Number.isSafeInteger(x) && x >= 0 ? x : undefined);
    const numbers = (x: unknown) => (Array.isArray(x) && x.every((v) => typeof v === "number") ? x as number[] : undefined);
    const [trainPairs, heldOutPairs, seed] = [count(q.train_pairs), count(q.held_out_pairs), count(q.seed)];
    const [layers, auroc, gapZ, pairCosine, bestLayers] = [q.layers, q.auroc, q.gap_z, q.pair_cosine, q.best_layers].map(numbers);
    if (trainPairs == null || heldOutPairs == null || seed == null || layers == null || auroc == null || gapZ == null
        || pairCosine == null || bestLayers == null) return undefined;
    if (auroc.length !== layers.length || gapZ.length !== layers.length || pairCosine.length !== layers.length) return undefined;
    return {
        trainPairs, heldOutPairs, seed, bestLayers,
        layers: layers.map((layer, i) => ({layer, auroc: auroc[i]!, gapZ: gapZ[i]!, pairCosine: pairCosine[i]!}))
    };
}

const fixed = (x: number, digits = 2) => (Number.isNaN(x) ? "n/a" : x.toFixed(digits));
const signed = (x: number) => (Number.isNaN(x) ? "n/a" : `${x >= 0 ? "+" : ""}${x.toFixed(2)}`);

/** One short line: "held-out AUROC 1.00 at layer 3 (gap +2.1 z, pair cos 0.71; 2 of 10 pairs)". */
export function describeQuality(quality: VectorQuality): string {
    const best = bestLayer(quality);
    if (best == null) return "no held-out score";
    return `held-out AUROC ${fixed(best.auroc)} at layer ${best.layer} (gap ${signed(best.gapZ)} z, pair cos ${fixed(best.pairCosine)}; ` +
        `${quality.heldOutPairs} of ${quality.trainPairs + quality.heldOutPairs} pairs)`;
}

/** A few characters for lists: "AUROC 1.00 @L3", "weak: AUROC 0.50 @L2", or "no score" (not trained by steer-chat). */
export function shortQuality(quality: VectorQuality | undefined): string {
    const best = quality && bestLayer(quality);
    if (best == null) return "no score";
    return `${best.auroc < WEAK_AUROC ? "weak: " : ""}AUROC ${fixed(best.auroc)} @L${best.layer}`;
}

/** The per-layer table `train` prints. */
export function qualityTable(quality: VectorQuality): string[] {
    return [
        `Held-out check: a direction trained on ${quality.trainPairs} pairs, scored on the other ${quality.heldOutPairs} (seed ${quality.seed}):`,
        "layer  AUROC  gap (z)  pair cos",
        ...quality.layers.map((l) => `${String(l.layer).padStart(5)}  ${fixed(l.auroc).padStart(5)}  ${signed(l.gapZ).padStart(7)}  ${fixed(l.pairCosine).padStart(8)}`),
        `best layers: ${quality.bestLayers.join(", ")}`
    ];
}

/** A warning when the vector does not separate its own held-out data, else undefined. */
export function qualityWarning(name: string, quality: VectorQuality | undefined): string | undefined {
    const best = quality && bestLayer(quality);
    if (best == null || !(best.auroc < WEAK_AUROC)) return undefined;
    return `Warning: ${name} does not separate its own held-out pairs (best AUROC ${fixed(best.auroc)} at layer ${best.layer}, ` +
        `below ${WEAK_AUROC}): it may not steer or read what it claims; train it on more or clearer pairs`;
}

/** The warning for the vector just added under `name` among the loaded entries, if it is weak. */
export function addedVectorWarning(entries: readonly {name: string, vector: {quality?: VectorQuality}}[],
    name: string): string | undefined {
    const entry = entries.find((e) => e.name === name);
    return entry && qualityWarning(entry.name, entry.vector.quality);
}
