/** The steering state on its own: the coefficient bound, vector specs, one row per added vector, the signature. */
import {describe, expect, it} from "vitest";
import {UserFacingError} from "../../src/errors.js";
import {layerSpan, topLayer} from "../../src/steering/controlVector.js";
import {checkLayerRange, SteeringState, type SteeringEntry} from "../../src/steering/steeringState.js";
import {MAX_COEFFICIENT, parseVectorSpec} from "../../src/steering/inputGrammar.js";
import {layerLabel} from "../../src/ui/components/SteeringPanel.js";
import {vectorOf} from "../helpers/steeringTestKit.js";

const entry = (name: string, source: string, coefficient = 1, extra: Partial<SteeringEntry> = {}): SteeringEntry =>
    ({name, source, vector: vectorOf(4, [1], () => 1), coefficient, enabled: true, ...extra});

function lineOf(work: () => unknown): string {
    try {
        work();
    } catch (err) {
        expect(err).toBeInstanceOf(UserFacingError);
        return (err as UserFacingError).toLine();
    }
    throw new Error("expected a UserFacingError");
}

describe("coefficients are bounded", () => {
    it("setCoefficient and add refuse a coefficient beyond the bound, with one line naming it; the bound itself is fine", () => {
        const state = new SteeringState().add(entry("happy", "/v/happy.gguf"));
        expect(lineOf(() => state.setCoefficient("happy", 1e308)))
            .toBe(`Coefficient 1e+308 for happy is out of range — use a number from -${MAX_COEFFICIENT} to ${MAX_COEFFICIENT}, e.g. 0.5`);
        expect(lineOf(() => state.setCoefficient("happy", -3e38))).toMatch(/^Coefficient -3e\+38 for happy is out of range/);
        expect(lineOf(() => state.setCoefficient("happy", Infinity))).toMatch(/^Coefficient Infinity for happy is not a number/);
        expect(lineOf(() => state.add(entry("sad", "/v/sad.gguf", 1e39)))).toMatch(/^Coefficient 1e\+39 for sad is out of range/);
        expect(state.setCoefficient("happy", -MAX_COEFFICIENT).get("happy").coefficient).toBe(-MAX_COEFFICIENT);
        expect(state.setCoefficient("happy", MAX_COEFFICIENT).get("happy").coefficient).toBe(MAX_COEFFICIENT);
    });

    it("parseVectorSpec: NAME[:C] and paths; a coefficient out of range or not a number is blamed, not the name", () => {
        expect(parseVectorSpec("happy")).toEqual({ref: "happy", coefficient: 1});
        expect(parseVectorSpec("happy:-0.5")).toEqual({ref: "happy", coefficient: -0.5});
        expect(parseVectorSpec("./a:b.gguf")).toEqual({ref: "./a:b.gguf", coefficient: 1});
        expect(parseVectorSpec("C:\\v\\x.gguf:2e-1")).toEqual({ref: "C:\\v\\x.gguf", coefficient: 0.2});
        expect(lineOf(() => parseVectorSpec("happy:1e308")))
            .toBe(`Coefficient "1e308" in "happy:1e308" is out of range — write NAME:C with C a number from -${MAX_COEFFICIENT} to ${MAX_COEFFICIENT}, e.g. happy:0.5`);
        expect(lineOf(() => parseVectorSpec("happy:abc"))).toMatch(/^Coefficient "abc" in "happy:abc" is not a number — /);
        expect(lineOf(() => parseVectorSpec("dir/x.gguf:"))).toMatch(/^Coefficient "" in "dir\/x.gguf:" is not a number/);
    });
});

describe("one row per added vector, as llama.cpp adds every --control-vector", () => {
    it("two files with one name are both kept, under distinct names; the same file twice is two rows", () => {
        const state = new SteeringState()
            .add(entry("x", "/a/x.gguf", 0.5))
            .add(entry("x", "/b/x.gguf", 0.7))
            .add(entry("happy", "/v/happy.gguf", 1))
            .add(entry("happy", "/v/happy.gguf", 2))
            .add(entry("x", "/c/x.gguf", 3));
        expect(state.entries.map((e) => [e.name, e.source, e.coefficient])).toEqual([
            ["x", "/a/x.gguf", 0.5], ["x-2", "/b/x.gguf", 0.7], ["happy", "/v/happy.gguf", 1], ["happy-2", "/v/happy.gguf", 2], ["x-3", "/c/x.gguf", 3]]);
        expect(state.loadedFrom("/v/../v/happy.gguf")?.name).toBe("happy");
        expect(state.loadedFrom("/v/sad.gguf")).toBeUndefined();
        // a name taken by a real file named x-2 is skipped too
        expect(new SteeringState().add(entry("x", "/a/x.gguf")).add(entry("x-2", "/a/x-2.gguf")).add(entry("x", "/b/x.gguf")).entries.map((e) => e.name))
            .toEqual(["x", "x-2", "x-3"]);
    });

    it("the signature ignores the order of the vectors, but not what they are", () => {
        const happy = entry("happy", "/v/happy.gguf", 0.5);
        const dog = entry("dog", "/v/dog.gguf", -1, {layers: {start: 2, end: 3}});
        const one = new SteeringState().add(happy).add(dog);
        const other = new SteeringState().add(dog).add(happy);
        expect(other.signature()).toBe(one.signature());
        expect(one.setCoefficient("happy", 0.6).signature()).not.toBe(one.signature());
        expect(one.add(happy).signature()).not.toBe(one.signature()); // the same file twice is summed: a change
    });
});

describe("layer spans without spreading into a call", () => {
    it("a vector with 140k directions has its top layer and label (Math.max(...keys) overflowed the stack)", () => {
        const directions = new Map<number, Float32Array>();
        const row = new Float32Array(1);
        for (let layer = 140_000; layer >= 1; layer--) directions.set(layer, row);
        const vector = {nEmbd: 1, directions};
        expect(topLayer(vector)).toBe(140_000);
        expect(layerSpan(vector)).toEqual({first: 1, last: 140_000});
        expect(layerLabel({vector})).toBe("all L1-140000");
        expect(topLayer({nEmbd: 1, directions: new Map()})).toBe(0);
    });
});

describe("layer ranges are llama.cpp's steerable layers, 1..n_layer-1", () => {
    const shape = {nEmbd: 64, nLayer: 5};

    it("accepts 1-4 and 4-4 on a five-layer model", () => {
        expect(() => checkLayerRange({start: 1, end: 4}, shape)).not.toThrow();
        expect(() => checkLayerRange({start: 4, end: 4}, shape)).not.toThrow();
    });

    it("refuses 5-5 and 0-2, and the message names the range it checks", () => {
        for (const range of [{start: 5, end: 5}, {start: 0, end: 2}, {start: 3, end: 5}]) {
            const error = (() => {
                try { checkLayerRange(range, shape); } catch (e) { return e; }
            })();
            expect(error).toBeInstanceOf(UserFacingError);
            expect((error as UserFacingError).toLine()).toMatch(/within 1-4,/);
        }
    });
});
