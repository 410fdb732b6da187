/** The quality score's maths and its GGUF metadata, on hand-computed cases (no model). */
import path from "node:path";
import {describe, expect, it} from "vitest";
import {encodeControlVector, type ControlVector} from "../../src/steering/controlVector.js";
import {loadControlVector, saveControlVector} from "../../src/steering/loadControlVector.js";
import {heldOutSplit} from "../../src/steering/readout.js";
import {addedVectorWarning, parseQualityMetadata, qualityMetadata, qualityWarning, rankLayers, shortQuality,
    type VectorQuality} from "../../src/steering/vectorQuality.js";
import {promptState, scoreHeldOut, type PairFeatures} from "../../src/training/heldOutQuality.js";
import {tempDir} from "../helpers/tinyModel.js";
import {GgufValueType} from "../../src/gguf/ggufWriter.js";

const quality: VectorQuality = {
    trainPairs: 8, heldOutPairs: 2, seed: 5, bestLayers: [3, 2, 1],
    layers: [{layer: 1, auroc: 0.5, gapZ: -0.25, pairCosine: 0.125}, {layer: 2, auroc: 0.75, gapZ: 1.5, pairCosine: 0.5},
        {layer: 3, auroc: 1, gapZ: 2.5, pairCosine: 0.75}]
};

describe("held-out scoring", () => {
    /** n_embd 2: every training difference is (1, 0), so the direction is (1, 0) */
    function pairs(count: number, heldOut: (i: number) => {positive: number[], negative: number[]}): PairFeatures[] {
        return Array.from({length: count}, (_, i) => ({
            positive: new Map([[1, Float32Array.from(heldOut(i).positive)]]),
            negative: new Map([[1, Float32Array.from(heldOut(i).negative)]]),
            diffs: new Map([[1, [Float32Array.from([1, 0])]]])
        }));
    }

    it("scores the held-out pairs on the direction trained on the others (hand-computed)", () => {
        const split = heldOutSplit(5, {seed: 0});
        expect(split.heldOut).toHaveLength(1);
        // the held-out pair: positive (3, 1) scores 3, negative (1, 5) scores 1; the baseline projects to 0 and 2
        const data = pairs(5, () => ({positive: [3, 1], negative: [1, 5]}));
        const q = scoreHeldOut({pairs: data, split, seed: 0, layers: [1], baselineStates: new Map([[1, Float32Array.from([0, 0, 2, 9])]]),
            nEmbd: 2, method: "mean"})!;
        expect(q.trainPairs).toBe(4);
        expect(q.heldOutPairs).toBe(1);
        expect(q.layers[0]!.auroc).toBe(1);
        expect(q.layers[0]!.gapZ).toBeCloseTo(2 / Math.SQRT2, 6); // gap 2, baseline spread √2
        expect(q.layers[0]!.pairCosine).toBeCloseTo(2 / Math.sqrt(20), 6); // difference (2, −4) against (1, 0)
        expect(q.bestLayers).toEqual([1]);
    });

    it("held-out pairs that contradict the training pairs score AUROC 0 and a negative gap", () => {
        const split = heldOutSplit(10, {seed: 2});
        const data = pairs(10, (i) => (split.heldOut.includes(i)
            ? {positive: [0, 0], negative: [4, 0]}
            : {positive: [4, 0], negative: [0, 0]}));
        const q = scoreHeldOut({pairs: data, split, seed: 2, layers: [1], baselineStates: new Map([[1, Float32Array.from([0, 0, 1, 0])]]),
            nEmbd: 2, method: "mean"})!;
        expect(q.layers[0]!.auroc).toBe(0);
        expect(q.layers[0]!.gapZ).toBeCloseTo(-4 * Math.SQRT2, 6);
        expect(q.layers[0]!.pairCosine).toBeCloseTo(-1, 6);
    });

    it("gives no score when nothing can be held out", () => {
        expect(scoreHeldOut({pairs: pairs(1, () => ({positive: [1, 0], negative: [0, 0]})), split: heldOutSplit(1), seed: 0, layers: [1],
            baselineStates: new Map(), nEmbd: 2, method: "mean"})).toBeUndefined();
    });

    it("a prompt's state is its last row, or the mean of its rows from the first one used", () => {
        const rows = Float32Array.from([100, 100, 1, 2, 3, 6]); // three rows of 2: a BOS-like row, then (1, 2), (3, 6)
        expect([...promptState(rows, 2, "last", 1)]).toEqual([3, 6]);
        expect([...promptState(rows, 2, "all", 1)]).toEqual([2, 4]);
        expect([...promptState(rows, 2, "all", 0)]).toEqual([Math.fround(104 / 3), 36]);
    });
});

describe("ranking and warnings", () => {
    it("ranks layers by AUROC, then by gap, NaN last", () => {
        expect(rankLayers(quality.layers)).toEqual([3, 2, 1]);
        expect(rankLayers([{layer: 1, auroc: 1, gapZ: 0.5, pairCosine: 0}, {layer: 2, auroc: 1, gapZ: 2, pairCosine: 0},
            {layer: 3, auroc: NaN, gapZ: 9, pairCosine: 0}, {layer: 4, auroc: 0.9, gapZ: 9, pairCosine: 0}], 4)).toEqual([2, 1, 4, 3]);
    });

    it("warns below a best AUROC of 0.6 only", () => {
        expect(qualityWarning("v", quality)).toBeUndefined();
        const weak = {...quality, layers: quality.layers.map((l) => ({...l, auroc: l.auroc / 2})), bestLayers: [3]};
        expect(qualityWarning("v", weak)).toMatch(/^Warning: v does not separate its own held-out pairs \(best AUROC 0\.50 at layer 3, below 0\.6\)/);
        expect(qualityWarning("v", undefined)).toBeUndefined();
        expect(shortQuality(quality)).toBe("AUROC 1.00 @L3");
        expect(shortQuality(weak)).toBe("weak: AUROC 0.50 @L3");
        expect(shortQuality(undefined)).toBe("no score");
        const entries = [{name: "a", vector: {quality}}, {name: "b", vector: {quality: weak}}];
        expect(addedVectorWarning(entries, "a")).toBeUndefined();
        expect(addedVectorWarning(entries, "b")).toMatch(/b does not separate/);
    });
});

describe("quality in the GGUF", () => {
    const vector: ControlVector = {nEmbd: 4, directions: new Map([[1, Float32Array.from([1, 0, 0, 0])], [3, Float32Array.from([0, 1, 0, 0])]]), modelHint: "llama", quality};

    it("is written under steer-chat.quality.* and read back as it was", async () => {
        const metadata = qualityMetadata(quality);
        expect(Object.keys(metadata).every((k) => k.startsWith("steer-chat.quality."))).toBe(true);
        expect(metadata["steer-chat.quality.auroc"]).toEqual({type: GgufValueType.ARRAY, itemType: GgufValueType.FLOAT32, value: [0.5, 0.75, 1]});
        const file = path.join(tempDir(), "scored.gguf");
        saveControlVector(file, vector);
        const loaded = await loadControlVector(file);
        expect(loaded.quality).toEqual(quality); // every value here is exact in float32
        expect(loaded.directions).toEqual(vector.directions);
    });

    it("a vector without a score has none, and a malformed score is ignored rather than failing the load", () => {
        expect(parseQualityMetadata({general: {architecture: "controlvector"}})).toBeUndefined();
        const nested = (q: Record<string, unknown>) => ({"steer-chat": {quality: q}});
        const good = {train_pairs: 8, held_out_pairs: 2, seed: 5, layers: [1], auroc: [1], gap_z: [2], pair_cosine: [0.5],
            best_layers: [1]};
        expect(parseQualityMetadata(nested(good))?.layers).toEqual([{layer: 1, auroc: 1, gapZ: 2, pairCosine: 0.5}]);
        expect(parseQualityMetadata(nested({...good, auroc: [1, 0.5]}))).toBeUndefined();
        expect(parseQualityMetadata(nested({...good, seed: -1}))).toBeUndefined();
        expect(parseQualityMetadata(nested({...good, layers: "1"}))).toBeUndefined();
        expect(encodeControlVector({...vector, quality: undefined}).includes(Buffer.from("steer-chat"))).toBe(false);
    });
});
