/**
 * Presets that store a calibrated strength, the random-direction control and the bisection, without a model.
 */
import {describe, expect, it} from "vitest";
import {presetCoefficient, presetFromSteering} from "../../src/presets/applyPreset.js";
import {defaultSettings, presetLayer, Settings} from "../../src/session/settings.js";
import {presetProblem} from "../../src/presets/presetSchema.js";
import {UserFacingError} from "../../src/errors.js";
import type {ControlVector} from "../../src/steering/controlVector.js";
import {randomDirectionLike} from "../../src/steering/randomDirection.js";
import {SteeringState} from "../../src/steering/steeringState.js";
import {curvePlot, searchLimit, withinLimits, type StrengthPoint} from "../../src/steering/strengthSearch.js";
import {vectorNorm, type ModelCalibration} from "../../src/steering/strengthUnits.js";

const hash = "b".repeat(64);
const calibration = (norms: number[]): ModelCalibration => ({
    version: 1, modelHash: hash, textHash: hash, nEmbd: 2, nLayer: norms.length + 1, tokens: 10,
    layers: norms.map((typicalNorm, i) => ({layer: i + 1, typicalNorm}))
});
const unit: ControlVector = {nEmbd: 2, directions: new Map([[1, Float32Array.from([0, 1])]])};

describe("presets with a strength in σ", () => {
    it("the schema takes sigma beside or instead of coefficient, and a steer policy", () => {
        const base = {name: "p", vectors: [{vector: "happy", sigma: 0.5}]};
        expect(presetProblem(base)).toBeUndefined();
        expect(presetProblem({...base, vectors: [{vector: "happy", sigma: 0.5, coefficient: 2}]})).toBeUndefined();
        expect(presetProblem({...base, vectors: [{vector: "happy"}]})).toMatch(/needs a coefficient or a sigma/);
        expect(presetProblem({...base, vectors: [{vector: "happy", sigma: "x"}]})).toMatch(/\.sigma must be a number/);
        expect(presetProblem({...base, vectors: [{vector: "happy", sigma: 1e9}]})).toMatch(/\.sigma/);
        expect(presetProblem({...base, steer: "reply"})).toBeUndefined();
        expect(presetProblem({...base, steer: "prompt"})).toMatch(/steer must be all, reply, first:N or from:N/);
        expect(presetProblem({...base, model: hash})).toBeUndefined();
        expect(presetProblem({...base, model: "stories260K"})).toMatch(/model must be a SHA-256/);
    });

    it("a stored σ becomes each model's own coefficient; without a calibration the coefficient is the fallback", () => {
        // ‖d‖ = 1 at a layer of typical norm 4 on one model, 40 on another: 0.5σ is 2 there and 20 here
        expect(presetCoefficient({vector: "v", sigma: 0.5}, unit, calibration([4]))).toBeCloseTo(2, 12);
        expect(presetCoefficient({vector: "v", sigma: 0.5, coefficient: 7}, unit, calibration([40]))).toBeCloseTo(20, 12);
        expect(presetCoefficient({vector: "v", sigma: 0.5, coefficient: 7}, unit, undefined)).toBe(7);
        expect(() => presetCoefficient({vector: "v", sigma: 0.5}, unit, undefined)).toThrow(UserFacingError);
    });

    it("on the model it was saved on a preset applies exactly the coefficient it stores; σ only on another model", () => {
        // 0.75 stored as 0.1875σ (typical norm 4) comes back as 0.75; the σ rounded to 4 digits would not always
        const stored = {vector: "v", coefficient: 0.749, sigma: 0.1875};
        expect(presetCoefficient(stored, unit, calibration([4]), undefined, hash)).toBe(0.749);
        const other = {...calibration([40]), modelHash: "c".repeat(64)};
        expect(presetCoefficient(stored, unit, other, undefined, hash)).toBeCloseTo(7.5, 12);
        expect(presetCoefficient(stored, unit, calibration([4]))).toBeCloseTo(0.75, 12); // no model stored: σ, as before
    });

    it("saving with a calibration stores σ beside the raw coefficient", () => {
        const state = new SteeringState().add({name: "v", source: "/nowhere/v.gguf", vector: unit, coefficient: 2, enabled: true});
        expect(presetFromSteering("p", state, {steer: "reply"}, {calibration: calibration([4])}))
            .toEqual({name: "p", steer: "reply", model: hash, vectors: [{vector: "/nowhere/v.gguf", coefficient: 2, sigma: 0.5}]});
        expect(presetFromSteering("p", state).vectors[0]).toEqual({vector: "/nowhere/v.gguf", coefficient: 2});
    });

    it("a preset's steer policy applies unless the flag pinned one", () => {
        const reply = presetLayer({steer: "reply"});
        expect(Settings.of(defaultSettings()).withPreset("p", reply).value("steer")).toBe("reply");
        expect(Settings.of(defaultSettings(), {steer: "all"}).withPreset("p", reply).value("steer")).toBe("all");
        expect(Settings.of(defaultSettings()).withPreset("p", reply).withPreset("q", presetLayer({})).value("steer")).toBe("all");
    });
});

describe("the random-direction control", () => {
    const vector: ControlVector = {nEmbd: 64, directions: new Map([
        [1, Float32Array.from({length: 64}, (_, i) => Math.sin(i))],
        [3, Float32Array.from({length: 64}, (_, i) => (i % 7) - 3)],
        [4, new Float32Array(64)]
    ])};

    it("has the vector's per-layer norms, is seeded, and points elsewhere", () => {
        const a = randomDirectionLike(vector, 1);
        expect([...a.directions.keys()]).toEqual([1, 3, 4]);
        for (const [layer, d] of vector.directions) expect(vectorNorm(a.directions.get(layer)!)).toBeCloseTo(vectorNorm(d), 4);
        expect(randomDirectionLike(vector, 1)).toEqual(a);
        expect(randomDirectionLike(vector, 2).directions.get(1)).not.toEqual(a.directions.get(1));
        // cosine to the real direction: random in 64 dimensions, far from 1
        const d = vector.directions.get(1)!;
        const r = a.directions.get(1)!;
        const cosine = d.reduce((s, x, i) => s + x * r[i]!, 0) / (vectorNorm(d) * vectorNorm(r));
        expect(Math.abs(cosine)).toBeLessThan(0.5);
        expect(a.directions.get(4)!.every((x) => x === 0)).toBe(true);
    });
});

describe("the bisection", () => {
    const point = (sigma: number, kl: number): StrengthPoint => ({sigma, coefficient: sigma * 10, kl, repetition: 0, perplexity: 1,
        score: 0, texts: []});
    const limits = {kl: 1, repetition: 0.3};
    const ok = (p: StrengthPoint) => withinLimits(p, limits);

    it("finds the crossing of a monotone curve within range / 2^steps, each way", async () => {
        const probed: number[] = [];
        const probe = async (sigma: number) => { probed.push(sigma); return point(sigma, sigma * sigma * 4); }; // KL 1 at |σ| = 0.5
        const up = await searchLimit(probe, ok, {sign: 1, maxSigma: 2, steps: 6});
        // 2 and 1 fail, 0.5 passes (KL exactly 1), then 0.75, 0.625, 0.5625, 0.53125 fail
        expect(probed).toEqual([2, 1, 0.5, 0.75, 0.625, 0.5625, 0.53125]);
        expect(up).toEqual({limit: 0.5, failedAt: 0.53125, stopped: false});
        expect(up.failedAt!).toBeGreaterThan(0.5);
        expect(up.failedAt! - up.limit).toBeLessThanOrEqual(2 / 2 ** 6);
        const down = await searchLimit(probe, ok, {sign: -1, maxSigma: 2, steps: 6});
        expect(down.limit).toBe(-up.limit);
        expect(down.failedAt).toBe(-up.failedAt!);
    });

    it("takes the far end when the whole range passes, and 0 when everything fails", async () => {
        expect(await searchLimit(async (s) => point(s, 0), ok, {sign: 1, maxSigma: 3, steps: 4})).toEqual({limit: 3, stopped: false});
        const none = await searchLimit(async (s) => point(s, 5), ok, {sign: 1, maxSigma: 1, steps: 3});
        expect(none.limit).toBe(0);
        expect(none.failedAt).toBe(0.125);
    });

    it("a non-monotone curve still ends on a passing strength next to a failing one", async () => {
        const kl = (s: number) => (s > 0.3 && s < 0.6 ? 2 : s > 1.5 ? 2 : 0.1);
        const r = await searchLimit(async (s) => point(s, kl(s)), ok, {sign: 1, maxSigma: 2, steps: 5});
        expect(kl(r.limit)).toBeLessThanOrEqual(1);
        expect(kl(r.failedAt!)).toBeGreaterThan(1);
    });

    it("stops between probes on the signal", async () => {
        const abort = new AbortController();
        let calls = 0;
        const r = await searchLimit(async (s) => { if (++calls === 2) abort.abort(); return point(s, s); }, ok, {sign: 1, maxSigma: 2,
            steps: 8, signal: abort.signal});
        expect(r.stopped).toBe(true);
        expect(calls).toBe(2);
    });

    it("a probe the signal cut short counts neither way: not the far end passing, not a bisection step", async () => {
        // stopped during the far end's probe: its measures (KL 0 from no replies) would pass; nothing is found
        const atFar = new AbortController();
        const far = await searchLimit(async (s) => { atFar.abort(); return point(s, 0); }, ok,
            {sign: 1, maxSigma: 2, steps: 4, signal: atFar.signal});
        expect(far).toEqual({limit: 0, stopped: true});
        // stopped during the first bisection step: the limit stays the last strength that finished passing (0)
        const atMid = new AbortController();
        let calls = 0;
        const mid = await searchLimit(async (s) => {
            if (++calls === 2) atMid.abort();
            return point(s, calls === 2 ? 0 : 5);
        }, ok, {sign: 1, maxSigma: 2, steps: 4, signal: atMid.signal});
        expect(mid).toEqual({limit: 0, failedAt: 2, stopped: true});
    });

    it("the unsteered model's own repetition raises that limit; the plot marks rows past the limits", () => {
        const repetitive = {...point(0.5, 0.2), repetition: 0.5};
        expect(withinLimits(repetitive, limits)).toBe(false);
        expect(withinLimits(repetitive, limits, {repetition: 0.6})).toBe(true);
        const plot = curvePlot([point(0.5, 3), point(0, 0), point(-0.5, 0.5)], limits).split("\n");
        expect(plot).toHaveLength(4);
        expect(plot[1]).toMatch(/^ *-0\.500σ.*  $/);
        expect(plot[3]).toMatch(/^ *\+0\.500σ.*✗$/);
    });
});
