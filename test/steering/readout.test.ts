/** The read-out maths against small hand-computed cases: projections, z-scores, AUROC, the held-out split, cosines. */
import {describe, expect, it} from "vitest";
import {seededRandom} from "../../tooling/syntheticLlama.js";
import {auroc, baselineOf, column, heldOutSplit, meanCosineToDirection, projectionMatrix, projectRows, readout, spread,
    unitDirection, zScore} from "../../src/steering/readout.js";

describe("projections and z-scores", () => {
    it("projects each row on the unit direction, whatever the direction's length", () => {
        // rows (3, 4) and (1, 0) on direction (0, 2): unit (0, 1), so 4 and 0
        expect([...projectRows([3, 4, 1, 0], 2, unitDirection([0, 2]))]).toEqual([4, 0]);
        // on (3, 4)/5: (9 + 16)/5 = 5 and 3/5
        const p = projectRows([3, 4, 1, 0], 2, unitDirection([3, 4]));
        expect(p[0]).toBeCloseTo(5, 12);
        expect(p[1]).toBeCloseTo(0.6, 12);
    });

    it("refuses a zero direction and rows of the wrong width", () => {
        expect(() => unitDirection([0, 0])).toThrow(/zero direction/);
        expect(() => projectRows([1, 2, 3], 2, [1, 0])).toThrow(/whole rows/);
        expect(() => projectRows([1, 2], 2, [1, 0, 0])).toThrow(/3 values/);
    });

    it("the baseline is the mean and the sample spread; z is the distance in spreads", () => {
        const b = baselineOf([1, 2, 3, 4]);
        expect(b.mean).toBe(2.5);
        expect(b.spread).toBeCloseTo(Math.sqrt(5 / 3), 12); // (2.25 + 0.25 + 0.25 + 2.25) / 3
        expect(zScore(5, b)).toBeCloseTo(2.5 / Math.sqrt(5 / 3), 12);
        expect(zScore(2.5, b)).toBe(0);
        expect(spread([7])).toBe(0);
        expect(zScore(3, {mean: 1, spread: 0})).toBeNaN();
    });

    it("a read-out averages tokens per layer, then z-scores each layer against its own baseline", () => {
        // two tokens, layers 2 and 5
        const matrix = projectionMatrix(new Map([[5, [10, 14]], [2, [1, 3]]]));
        expect(matrix.layers).toEqual([2, 5]);
        expect([...matrix.values]).toEqual([1, 10, 3, 14]); // token-major
        expect([...column(matrix, 5)]).toEqual([10, 14]);
        const r = readout(matrix, new Map([[2, {mean: 0, spread: 2}], [5, {mean: 10, spread: 4}]]));
        expect(r.layers).toEqual([{layer: 2, meanProjection: 2, z: 1}, {layer: 5, meanProjection: 12, z: 0.5}]);
        expect(r.z).toBe(0.75);
        // token 0: (1 − 0)/2 = 0.5 and (10 − 10)/4 = 0 → 0.25; token 1: 1.5 and 1 → 1.25
        expect([...r.tokenZ]).toEqual([0.25, 1.25]);
        expect(() => readout(matrix, new Map([[2, {mean: 0, spread: 1}]]))).toThrow(/no baseline for layer 5/);
    });
});

describe("AUROC", () => {
    it("is 1 for perfect separation, 0 for reversed, and counts pairs in between", () => {
        expect(auroc([3, 4], [1, 2])).toBe(1);
        expect(auroc([1, 2], [3, 4])).toBe(0);
        // 1 beats neither negative, 3 beats 2 only: 1 of 4 pairs
        expect(auroc([1, 3], [2, 4])).toBe(0.25);
    });

    it("counts a tie as one half (the Mann–Whitney statistic)", () => {
        expect(auroc([2, 2], [2])).toBe(0.5);
        expect(auroc([1, 2, 3], [2])).toBe(0.5); // 0 + ½ + 1 over 3
        expect(auroc([3, 2], [2, 1])).toBe(0.875); // 1 + 1 + ½ + 1 over 4
        expect(auroc([5, 5, 5], [5, 5])).toBe(0.5);
    });

    it("equals the brute-force pair count on random data with many ties", () => {
        const rand = seededRandom(7);
        const draw = (n: number, shift: number) => Array.from({length: n}, () => Math.round(rand() * 6 + shift));
        const pos = draw(23, 1);
        const neg = draw(17, 0);
        let wins = 0;
        for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0;
        expect(auroc(pos, neg)).toBeCloseTo(wins / (pos.length * neg.length), 12);
    });

    it("is NaN when a side is empty", () => {
        expect(auroc([], [1])).toBeNaN();
        expect(auroc([1], [])).toBeNaN();
    });
});

describe("held-out split", () => {
    it("holds out 20 % (at least one, never all), disjoint from training and covering every pair", () => {
        for (const [count, heldOut] of [[0, 0], [1, 0], [2, 1], [3, 1], [5, 1], [8, 2], [10, 2], [33, 7]] as const) {
            const split = heldOutSplit(count, {seed: 3});
            expect(split.heldOut.length, `${count} pairs`).toBe(heldOut);
            expect([...split.train, ...split.heldOut].sort((a, b) => a - b)).toEqual(Array.from({length: count}, (_, i) => i));
        }
    });

    it("is the same for the same seed, and changes with the seed", () => {
        expect(heldOutSplit(10, {seed: 1})).toEqual(heldOutSplit(10, {seed: 1}));
        const splits = new Set([1, 2, 3, 4, 5].map((seed) => heldOutSplit(10, {seed}).heldOut.join(",")));
        expect(splits.size).toBeGreaterThan(1);
    });

    it("picks each pair about equally often over seeds (no bias to the start or end)", () => {
        const counts = new Array(10).fill(0);
        for (let seed = 0; seed < 2000; seed++) for (const i of heldOutSplit(10, {seed}).heldOut) counts[i]++;
        for (const c of counts) expect(c).toBeGreaterThan(320); // 400 expected each
        for (const c of counts) expect(c).toBeLessThan(480);
    });
});

describe("pair consistency", () => {
    it("is the mean cosine of the differences to the direction, leaving zero rows out", () => {
        expect(meanCosineToDirection([[1, 0], [0, 1], [0, 0]], [1, 1])).toBeCloseTo(Math.SQRT1_2, 12);
        expect(meanCosineToDirection([[1, 0], [-1, 0]], [2, 0])).toBe(0);
        expect(meanCosineToDirection([[3, 0], [1, 0]], [5, 0])).toBe(1);
    });
});
