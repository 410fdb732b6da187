import {describe, expect, it} from "vitest";
import {computeDirection, cosine, isZeroRow} from "../../src/training/directionMethods.js";
import {parseDirection} from "../../src/training/importDirection.js";
import {parsePromptLines} from "../../src/training/promptFiles.js";
import {seededRandom} from "../../tooling/syntheticLlama.js";

/** differences = signal × a hidden direction + noise; every method should find the direction */
function samples(seed: number, {dim = 16, rows = 40, signal = 3, noise = 0.5, offset = 0} = {}) {
    const rand = seededRandom(seed);
    const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
    const truth = Float32Array.from({length: dim}, gauss);
    const diffs = Array.from({length: rows}, () => {
        const scale = signal * (0.5 + rand()) + offset;
        return Float32Array.from(truth, (t) => t * scale + noise * gauss());
    });
    return {truth, diffs};
}

describe("direction methods", () => {
    it("mean recovers the direction, with unit norm and the positive side higher", () => {
        const {truth, diffs} = samples(1);
        const d = computeDirection({diffs, typicalNorm: 7}, {method: "mean"});
        expect(cosine(d, truth)).toBeGreaterThan(0.98);
        expect(Math.hypot(...d)).toBeCloseTo(1, 5);
    });

    it("pca and pca-center recover the direction and fix the sign so positives project higher", () => {
        for (const method of ["pca", "pca-center"] as const) {
            const {truth, diffs} = samples(2, {signal: 2, offset: method === "pca" ? 0 : 1});
            const d = computeDirection({diffs, typicalNorm: 1}, {method});
            expect(cosine(d, truth), method).toBeGreaterThan(0.95);
            const meanProjection = diffs.reduce((s, r) => s + r.reduce((a, x, i) => a + x * d[i]!, 0), 0);
            expect(meanProjection, method).toBeGreaterThan(0);
        }
    });

    it("pca-center is the uncentred principal component and pca the centred one (they differ on offset data)", () => {
        // all differences share a constant offset along e0 and vary along e1
        const diffs = Array.from({length: 20}, (_, i) => Float32Array.from([5, (i - 9.5) * 2, 0]));
        const centred = computeDirection({diffs, typicalNorm: 1}, {method: "pca"});
        const uncentred = computeDirection({diffs, typicalNorm: 1}, {method: "pca-center"});
        expect(Math.abs(centred[1]!)).toBeCloseTo(1, 5); // spread is along e1
        expect(Math.abs(uncentred[0]!)).toBeGreaterThan(Math.abs(uncentred[1]!)); // the offset dominates
    });

    it("scales to the layer's typical norm on request", () => {
        const {diffs} = samples(3);
        const d = computeDirection({diffs, typicalNorm: 12.5}, {method: "mean", scale: "typical"});
        expect(Math.hypot(...d)).toBeCloseTo(12.5, 4);
    });

    it("drops all-zero rows and refuses when nothing is left", () => {
        expect(isZeroRow(Float32Array.from([0, 1e-7, -1e-7]))).toBe(true);
        expect(isZeroRow(Float32Array.from([0, -0.01]))).toBe(false);
        const zero = [new Float32Array(4), new Float32Array(4)];
        expect(() => computeDirection({diffs: zero, typicalNorm: 1}, {method: "mean"})).toThrow(/same hidden state/);
        const d = computeDirection({diffs: [...zero, Float32Array.from([0, 2, 0, 0])], typicalNorm: 1}, {method: "mean"});
        expect([...d]).toEqual([0, 1, 0, 0]);
    });
});

describe("prompt files and imports", () => {
    it("reads one prompt a line, skips blank lines, turns \\n escapes into newlines", () => {
        expect(parsePromptLines("first\\nline\n\n  \nsecond\\t\"x\"\r\n")).toEqual(["first\nline", "second\t\"x\""]);
    });

    it("imports .npy float32/float64, JSON arrays and Neuronpedia-style objects", () => {
        const npy = (descr: string, values: number[], size: number, shape = `${values.length},`) => {
            let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape}), }`;
            header += " ".repeat((64 - ((10 + header.length + 1) % 64)) % 64) + "\n";
            const buf = Buffer.alloc(10 + header.length + values.length * size);
            buf.set([0x93, ...Buffer.from("NUMPY"), 1, 0]);
            buf.writeUInt16LE(header.length, 8);
            buf.write(header, 10, "latin1");
            values.forEach((v, i) => size === 4
                ? buf.writeFloatLE(v, 10 + header.length + i * 4)
                : buf.writeDoubleLE(v, 10 + header.length + i * 8));
            return buf;
        };
        expect([...parseDirection("a.npy", npy("<f4", [1, -2, 3.5], 4)).values]).toEqual([1, -2, 3.5]);
        expect([...parseDirection("b.npy", npy("<f8", [0.25, 4], 8)).values]).toEqual([0.25, 4]);
        expect(() => parseDirection("c.npy", npy("<i4", [1], 4))).toThrow(/unsupported dtype <i4/);
        // a shape of anything but whole numbers is refused, not rounded (63.5 was read as 63 values)
        for (const shape of ["1.5,", "1e0,", "0x1,", "-1,", "1, 2.0"])
            expect(() => parseDirection("s.npy", npy("<f4", [1, 2], 4, shape)), shape).toThrow(/is not a list of whole numbers/);
        expect([...parseDirection("s2.npy", npy("<f4", [1, 2], 4, "1, 2")).values]).toEqual([1, 2]);
        expect(() => parseDirection("d.npy", npy("<f4", [1, 2, 3], 4).subarray(0, 70))).toThrow(/truncated/);
        // cut inside the preamble or the header: one clear line, not "Offset is outside the bounds of the DataView"
        expect(() => parseDirection("d9.npy", npy("<f4", [1], 4).subarray(0, 9)))
            .toThrow("Cannot import d9.npy: it is 9 bytes, shorter than a .npy header (truncated?)");
        expect(() => parseDirection("d20.npy", npy("<f4", [1], 4).subarray(0, 20))).toThrow("Cannot import d20.npy: its .npy header runs past the end");
        const v2 = npy("<f4", [1], 4);
        v2[6] = 2;
        expect(() => parseDirection("d2.npy", v2.subarray(0, 11))).toThrow("Cannot import d2.npy: it is 11 bytes, shorter than a .npy header");
        v2[6] = 9;
        expect(() => parseDirection("d3.npy", v2)).toThrow("Cannot import d3.npy: unsupported .npy format version 9");
        expect([...parseDirection("e.json", Buffer.from("[0.5, 1.5]")).values]).toEqual([0.5, 1.5]);
        expect(parseDirection("f.json", Buffer.from('{"steering_vector": [[1, 2]], "hook_layer": "7"}'))).toMatchObject({values: Float32Array.from([1, 2]), layer: 7});
        expect(() => parseDirection("g.json", Buffer.from('{"name": "x"}'))).toThrow(/no vector, values/);
        expect(() => parseDirection("h.json", Buffer.from("[1, NaN]"))).toThrow(/neither a \.npy file nor JSON/);
        expect(() => parseDirection("i.json", Buffer.from("[1, 1e999]"))).toThrow(/not a finite number/);
    });

    it("reads a Neuronpedia direction's layer the way llama.cpp counts: resid_pre of block N is layer N-1", () => {
        const json = (fields: object) => Buffer.from(JSON.stringify({vector: [1, 2], ...fields}));
        expect(parseDirection("a.json", json({hook_name: "blocks.6.hook_resid_pre"}))).toMatchObject({layer: 5, layerSource: expect.stringContaining("blocks.6.hook_resid_pre → layer 5")});
        expect(parseDirection("b.json", json({hook_name: "blocks.6.hook_resid_post"})).layer).toBe(6);
        expect(parseDirection("c.json", json({layer: "6-res-jb", hook_type: "hook_resid_pre"})).layer).toBe(5);
        expect(parseDirection("d.json", json({layer: 6, hook_type: "resid_post"})).layer).toBe(6);
        // a source with no hook: the number is taken as the block output, and the note says so
        expect(parseDirection("e.json", json({layer: "12-gemmascope-res-16k"}))).toMatchObject({layer: 12, layerSource: expect.stringContaining("pass --layer")});
        // a hook llama.cpp cannot steer at is reported, not thrown: an explicit --layer may still place the vector
        expect(parseDirection("f.json", json({hook_name: "blocks.3.hook_resid_mid"}))).toMatchObject({layerProblem: expect.stringMatching(/inside block 3/)});
        expect(parseDirection("g.json", json({hook_name: "blocks.1.hook_resid_pre"})).layerProblem).toMatch(/steers from block 1's output on/);
        expect(parseDirection("h.json", json({})).layer).toBeUndefined();
        // a file's layer is a whole block number, as --layer takes it: 2.5 or 1e21 is no layer to steer at
        for (const layer of [2.5, 1e21, -1])
            expect(parseDirection("i.json", json({layer}))).toEqual({values: expect.any(Float32Array), layerProblem: `its layer ${layer} is not a whole block number`});
    });
});
