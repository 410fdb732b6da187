import {describe, expect, it} from "vitest";
import {UserFacingError} from "../../src/errors.js";
import {mixControlVectors, SteeringOverflowError} from "../../src/steering/mixControlVectors.js";
import {vectorOf} from "../helpers/steeringTestKit.js";

const shape = {nEmbd: 4, nLayer: 5};

describe("mixControlVectors", () => {
    it("returns null (clear) when nothing is on or every coefficient is 0", () => {
        const v = vectorOf(4, [1, 2], () => 1);
        expect(mixControlVectors([], shape)).toBeNull();
        expect(mixControlVectors([{vector: v, coefficient: 0, enabled: true}], shape)).toBeNull();
        expect(mixControlVectors([{vector: v, coefficient: 2, enabled: false}], shape)).toBeNull();
    });

    it("lays layers out from layer 1 in a full n_embd × (n_layer − 1) buffer", () => {
        const v = vectorOf(4, [1, 3], (layer, i) => layer * 10 + i);
        const mix = mixControlVectors([{vector: v, coefficient: 2, enabled: true}], shape)!;
        expect(mix.data.length).toBe(4 * 4);
        expect([...mix.data.subarray(0, 4)]).toEqual([20, 22, 24, 26]); // layer 1
        expect([...mix.data.subarray(4, 8)]).toEqual([0, 0, 0, 0]); // layer 2: no direction
        expect([...mix.data.subarray(8, 12)]).toEqual([60, 62, 64, 66]); // layer 3
        expect(mix.layerStart).toBe(1);
        expect(mix.layerEnd).toBe(5); // llama.cpp's default end is n_layer
    });

    it("sums coefficient × direction with float32 rounding at each step, in order", () => {
        const a = vectorOf(4, [1], () => 0.1);
        const b = vectorOf(4, [1], () => 0.7);
        const mix = mixControlVectors([
            {vector: a, coefficient: 0.3, enabled: true},
            {vector: b, coefficient: -1.1, enabled: true}
        ], shape)!;
        const f = Math.fround;
        const expected = f(f(f(0.1) * f(0.3)) + f(f(0.7) * f(-1.1)));
        expect(mix.data[0]).toBe(expected);
        // the plain double computation differs in the last bits, which is why the rounding matters
        expect(f(f(0.1) * 0.3 + f(0.7) * -1.1)).not.toBe(0.1 * 0.3 + 0.7 * -1.1);
    });

    it("applies each vector only within its layer range and reports the union range", () => {
        const v = vectorOf(4, [1, 2, 3, 4], () => 1);
        const w = vectorOf(4, [1, 2, 3, 4], () => 10);
        const mix = mixControlVectors([
            {vector: v, coefficient: 1, enabled: true, layers: {start: 2, end: 2}},
            {vector: w, coefficient: 1, enabled: true, layers: {start: 4, end: 4}}
        ], shape)!;
        expect(mix.layerStart).toBe(2);
        expect(mix.layerEnd).toBe(4);
        expect(mix.data[0]).toBe(0);
        expect(mix.data[4]).toBe(1);
        expect(mix.data[8]).toBe(0);
        expect(mix.data[12]).toBe(10);
    });

    it("ignores directions for layers the model has no control tensor for", () => {
        const v = vectorOf(4, [4, 5], () => 1);
        const mix = mixControlVectors([{vector: v, coefficient: 1, enabled: true}], shape)!;
        expect(mix.data.length).toBe(16);
        expect(mix.data[12]).toBe(1);
    });

    it("refuses a vector of another width", () => {
        const v = vectorOf(8, [1], () => 1);
        expect(() => mixControlVectors([{vector: v, coefficient: 1, enabled: true}], shape)).toThrow(/n_embd 8/);
    });

    it("refuses a mix whose sum overflows float32, naming the vector that tipped it, though every input is finite", () => {
        const big = vectorOf(4, [2], () => 3.4e38);
        const a = {vector: big, coefficient: 1, enabled: true, name: "a", source: "/v/a/x.gguf"};
        const b = {vector: big, coefficient: 1, enabled: true, name: "x-2", source: "/v/b/x.gguf"};
        expect(mixControlVectors([a], shape)!.data[4]).toBe(Math.fround(3.4e38));
        let error: unknown;
        try {
            mixControlVectors([a, b], shape);
        } catch (err) {
            error = err;
        }
        expect(error).toBeInstanceOf(SteeringOverflowError);
        expect(error).toBeInstanceOf(UserFacingError);
        expect((error as UserFacingError).toLine()).toBe("Adding x-2 (/v/b/x.gguf) at 1 makes the steering at layer 2 overflow float32 " +
            "(infinite values) — lower the coefficients, or check the vector files' values");
        // a product alone can overflow too
        expect(() => mixControlVectors([{...a, coefficient: 2}], shape)).toThrow(/Adding a .* at 2 makes the steering at layer 2 overflow/);
        // opposite signs cancel: finite, so fine
        expect(mixControlVectors([a, {...b, coefficient: -1}], shape)!.data[4]).toBe(0);
    });
});
