/**
 * The pure maths of calibrated strength and of the coherence gauge, against values worked out by hand.
 */
import {describe, expect, it} from "vitest";
import {coherenceGauge, compressionRatio, gaugeSums, klDivergence, klFromLogProbs, logSoftmax, repeatedNgramShare} from "../../src/steering/coherence.js";
import {calibrationProblem, coefficientForSigma, median, rowNorms, sigmaForCoefficient, sigmaPerCoefficient, sigmaPerLayer,
    typicalNorm, UncalibratedVectorError, type ModelCalibration} from "../../src/steering/strengthUnits.js";
import {parseVectorSpec, parseVectorStrengthSpec} from "../../src/steering/inputGrammar.js";
import {UserFacingError} from "../../src/errors.js";
import type {ControlVector} from "../../src/steering/controlVector.js";

const hash = "a".repeat(64);
const calibration = (norms: number[]): ModelCalibration => ({
    version: 1, modelHash: hash, textHash: hash, nEmbd: 2, nLayer: norms.length + 1, tokens: 10,
    layers: norms.map((typicalNorm, i) => ({layer: i + 1, typicalNorm}))
});
const vector = (directions: Record<number, number[]>): ControlVector =>
    ({nEmbd: 2, directions: new Map(Object.entries(directions).map(([l, d]) => [Number(l), Float32Array.from(d)]))});

describe("calibrated units (σ)", () => {
    it("a layer's typical norm is the median of its rows' L2 norms", () => {
        expect(median([3, 1, 2])).toBe(2);
        expect(median([4, 1, 3, 2])).toBe(2.5);
        expect(Number.isNaN(median([]))).toBe(true);
        // rows (3,4) (0,1) (6,8): norms 5, 1, 10
        expect([...rowNorms([3, 4, 0, 1, 6, 8], 2)]).toEqual([5, 1, 10]);
        expect(typicalNorm([3, 4, 0, 1, 6, 8], 2)).toBe(5);
        expect(() => rowNorms([1, 2, 3], 2)).toThrow(/whole rows/);
    });

    it("one layer: σ = c·‖d‖/typical, and back", () => {
        const cal = calibration([10, 20]);
        const v = vector({2: [3, 4]}); // ‖d‖ = 5 at a layer of typical norm 20: 0.25σ per unit
        expect(sigmaPerCoefficient(v, cal)).toBeCloseTo(0.25, 12);
        expect(sigmaForCoefficient(2, v, cal)).toBeCloseTo(0.5, 12);
        expect(coefficientForSigma(0.5, v, cal)).toBeCloseTo(2, 12);
        expect(coefficientForSigma(-1, v, cal)).toBeCloseTo(-4, 12);
    });

    it("several layers: the ‖d‖-weighted mean of the per-layer σ", () => {
        const cal = calibration([10, 20, 40]);
        // ‖d1‖ = 1 (σ1 = 0.1), ‖d2‖ = 0 (ignored), ‖d3‖ = 10 (σ3 = 0.25): (1·0.1 + 10·0.25) / 11
        const v = vector({1: [1, 0], 2: [0, 0], 3: [6, 8]});
        expect(sigmaPerLayer(v, cal)).toEqual([{layer: 1, sigma: 0.1}, {layer: 3, sigma: 0.25}]);
        expect(sigmaPerCoefficient(v, cal)).toBeCloseTo(2.6 / 11, 12);
        // a layer range leaves the others out
        expect(sigmaPerCoefficient(v, cal, {start: 1, end: 2})).toBeCloseTo(0.1, 12);
        // unit vectors on every layer: the plain mean of 1/typical
        expect(sigmaPerCoefficient(vector({1: [1, 0], 2: [0, 1], 3: [1, 0]}), cal)).toBeCloseTo((0.1 + 0.05 + 0.025) / 3, 12);
    });

    it("a vector with no calibrated layer has no strength in σ", () => {
        const cal = calibration([10, 20]);
        expect(sigmaPerCoefficient(vector({3: [1, 0]}), cal)).toBeUndefined(); // layer 3 is not steerable here
        expect(sigmaPerCoefficient(vector({1: [0, 0]}), cal)).toBeUndefined();
        expect(() => coefficientForSigma(0.5, vector({1: [1, 0]}), cal, {start: 2, end: 2})).toThrow(UncalibratedVectorError);
    });

    it("the cache format is checked field by field", () => {
        expect(calibrationProblem(calibration([1, 2]))).toBeUndefined();
        expect(calibrationProblem({...calibration([1, 2]), version: 2})).toMatch(/version/);
        expect(calibrationProblem({...calibration([1, 2]), modelHash: "xyz"})).toMatch(/modelHash/);
        expect(calibrationProblem({...calibration([1, 2]), nLayer: 5})).toMatch(/steerable layers/);
        expect(calibrationProblem(calibration([1, 0]))).toMatch(/layers\[1\]\.typicalNorm/);
        expect(calibrationProblem(calibration([1, NaN]))).toMatch(/typicalNorm/);
        expect(calibrationProblem([])).toMatch(/object/);
    });

    it("--vector F@Xσ (or @Xs) is a strength in σ, F:C stays llama.cpp's raw coefficient", () => {
        expect(parseVectorStrengthSpec("happy@0.5σ")).toEqual({ref: "happy", sigma: 0.5});
        expect(parseVectorStrengthSpec("happy@-1.25s")).toEqual({ref: "happy", sigma: -1.25});
        expect(parseVectorStrengthSpec("./dir@x/v.gguf@+.5σ")).toEqual({ref: "./dir@x/v.gguf", sigma: 0.5});
        expect(parseVectorStrengthSpec("happy:0.5")).toEqual({ref: "happy", coefficient: 0.5});
        expect(parseVectorStrengthSpec("./a@1s/v.gguf")).toEqual({ref: "./a@1s/v.gguf", coefficient: 1});
        expect(() => parseVectorStrengthSpec("happy@abcσ")).toThrow(/Strength "abcσ" in "happy@abcσ" is not a number/);
        expect(() => parseVectorStrengthSpec("happy@99σ")).toThrow(/out of range/);
        // where only raw coefficients are taken, σ is refused rather than read as something else
        expect(() => parseVectorSpec("happy@0.5σ")).toThrow(UserFacingError);
        expect(parseVectorSpec("happy:2")).toEqual({ref: "happy", coefficient: 2});
    });
});

describe("the coherence gauge's maths", () => {
    it("KL(P‖Q) on small distributions, by hand", () => {
        // P = (1/2, 1/2), Q = (1/4, 3/4): 1/2 ln 2 + 1/2 ln(2/3)
        expect(klDivergence([0.5, 0.5], [0.25, 0.75])).toBeCloseTo(0.5 * Math.log(2) + 0.5 * Math.log(2 / 3), 12);
        expect(klDivergence([0.5, 0.5], [0.5, 0.5])).toBe(0);
        // zero-probability outcomes of P contribute nothing
        expect(klDivergence([1, 0], [0.5, 0.5])).toBeCloseTo(Math.log(2), 12);
        // asymmetric
        expect(klDivergence([0.25, 0.75], [0.5, 0.5])).not.toBeCloseTo(klDivergence([0.5, 0.5], [0.25, 0.75]), 6);
        expect(() => klFromLogProbs([0], [0, 0])).toThrow(/outcomes/);
    });

    it("log-softmax of logits, stable for large ones", () => {
        const out = logSoftmax([0, Math.log(3)]); // softmax (1/4, 3/4)
        expect(Math.exp(out[0]!)).toBeCloseTo(0.25, 12);
        expect(Math.exp(out[1]!)).toBeCloseTo(0.75, 12);
        const big = logSoftmax([1000, 1000]);
        expect(big[0]).toBeCloseTo(-Math.log(2), 12);
    });

    it("repetition: the share of n-grams seen before", () => {
        expect(repeatedNgramShare([1, 2, 3, 4, 5], 3)).toBe(0);
        // 1 2 1 2 1 2: bigrams 12 21 12 21 12 -> 3 of 5 repeat
        expect(repeatedNgramShare([1, 2, 1, 2, 1, 2], 2)).toBeCloseTo(3 / 5, 12);
        // a loop of one token: trigrams 777 ×4, 3 of 4 repeat
        expect(repeatedNgramShare([7, 7, 7, 7, 7, 7], 3)).toBeCloseTo(3 / 4, 12);
        expect(repeatedNgramShare([1, 2], 3)).toBe(0);
        expect(() => repeatedNgramShare([1], 0)).toThrow();
    });

    it("compression ratio is lower for a loop than for varied text of the same length", () => {
        const loop = "the cat the cat the cat the cat the cat the cat the cat the cat ";
        const varied = "a quick brown fox jumps over the lazy dog while owls watch us go";
        expect(loop.length).toBe(varied.length);
        expect(compressionRatio(loop)).toBeLessThan(compressionRatio(varied));
        expect(compressionRatio("")).toBe(1);
    });

    it("a gauge from rows of logits: mean and max KL, perplexities under either model", () => {
        // two rows over a vocabulary of two. Steered: (1/2, 1/2) then (1/4, 3/4); unsteered: (1/4, 3/4) twice
        const steered = [0, 0, 0, Math.log(3)];
        const unsteered = [0, Math.log(3), 0, Math.log(3)];
        const tokens = [0, 1];
        const kl0 = 0.5 * Math.log(2) + 0.5 * Math.log(2 / 3);
        const gauge = coherenceGauge(steered, unsteered, 2, tokens, {n: 1});
        expect(gauge.tokens).toBe(2);
        expect(gauge.kl).toBeCloseTo(kl0 / 2, 12);
        expect(gauge.klMax).toBeCloseTo(kl0, 12);
        // unsteered P(token0) = 1/4, P(token1) = 3/4: ppl = exp(-(ln 1/4 + ln 3/4)/2)
        expect(gauge.perplexity).toBeCloseTo(Math.exp(-(Math.log(0.25) + Math.log(0.75)) / 2), 12);
        expect(gauge.steeredPerplexity).toBeCloseTo(Math.exp(-(Math.log(0.5) + Math.log(0.75)) / 2), 12);
        expect(gauge.repetition).toBe(0);
        expect(() => gaugeSums(steered, unsteered, 2, [0])).toThrow(/rows/);
        expect(() => gaugeSums(steered, unsteered, 2, [0, 5])).toThrow(/vocabulary/);
    });
});
