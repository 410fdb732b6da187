/**
 * The one grammar for typed numbers (src/steering/inputGrammar.ts): what each parser takes and refuses, and that
 * every refusal's suggested fix is itself an input the same parser takes. Pure: no model.
 */
import {describe, expect, it} from "vitest";
import {decimal, InputGrammarError, MAX_COEFFICIENT, MAX_SIGMA, parseCoefficient, parseLayer, parseLayerRange, parseSamplingValue,
    parseSigma, parseStrength, parseVectorSpec, parseVectorStrengthSpec, wholeNumber} from "../../src/steering/inputGrammar.js";
import {SAMPLING_SETTINGS, type SamplingSettingName} from "../../src/engine/sampling.js";

/** the error `parse(input)` throws; fails the test when it does not throw one of ours */
function refusal(parse: (input: string) => unknown, input: string): InputGrammarError {
    try {
        parse(input);
    } catch (err) {
        expect(err, input).toBeInstanceOf(InputGrammarError);
        return err as InputGrammarError;
    }
    throw new Error(`"${input}" was taken`);
}

const parsers: [string, (input: string) => unknown, string[]][] = [
    ["coefficient", (t) => parseCoefficient(t, "happy"), ["", "0x10", "0b1", "Infinity", "1e308", "1001", "-1000.5", "abc", "1,5", "½", " 1"]],
    ["sigma", (t) => parseSigma(t, "happy"), ["σ", "0x10σ", "80σ", "-51s", "Infinityσ", "0.5", "1e3σ"]],
    ["strength", (t) => parseStrength(t, "happy"), ["0x10", "80σ", "abc", "1e308", "NaN", "σ"]],
    ["spec", parseVectorStrengthSpec, ["", "happy:abc", "happy:0x10", "happy@80σ", "happy@0x10σ", "sue:0.5@0.1σ", "sue@0.1σ:0.5", "happy@0.5",
        "happy:1e308", "dir/x.gguf:", "happy@σ", "happy@80", "happy@5000", "sue:5000@0.1σ", "sue:0.5@80σ", "sue@80σ:5000", "sue@0.1σ:5000",
        "x@0.5σ:abc"]],
    ["raw spec", parseVectorSpec, ["happy@0.5σ", "tim@0.1s", "sue:0.5@0.1σ"]],
    ["layer", (t) => parseLayer(t, "--layer"), ["2.5", "1e21", "0x10", "0", "-1", "", "6 ", "1e1", "99999999999999999999"]],
    ["layer range", parseLayerRange, ["2.5-3", "0x1-3", "1e1-20", "5-2", "two-five", "3", "1-", "-1-3"]],
    ...Object.keys(SAMPLING_SETTINGS).map((name): [string, (input: string) => unknown, string[]] =>
        [name, (t) => parseSamplingValue(name as SamplingSettingName, t), ["-1", "0x10", "Infinity", "", "abc", "1e999"]]),
    ["top-p bound", (t) => parseSamplingValue("top-p", t), ["1.5"]],
    ["whole sampling values", (t) => parseSamplingValue("seed", t), ["2.5", "1e3", "4294967296"]],
    ["max-tokens", (t) => parseSamplingValue("max-tokens", t), ["0", "2.5"]]
];

describe("every refusal names the input and gives a fix that parses", () => {
    for (const [what, parse, bad] of parsers)
        it(what, () => {
            for (const input of bad) {
                const error = refusal(parse, input);
                if (input !== "") expect(error.message, input).toContain(input);
                expect(error.hint, input).toContain(error.example);
                // the fix, parsed by the same parser, is taken
                expect(() => parse(error.example), `${input} → ${error.example}`).not.toThrow();
            }
        });
});

describe("what each parser takes", () => {
    it("numbers are decimal: hex, binary, Infinity and blanks are no numbers; whole numbers are digits only", () => {
        expect([decimal("0.5"), decimal("-.5"), decimal("+2"), decimal("1e-3"), decimal("5.")]).toEqual([0.5, -0.5, 2, 0.001, 5]);
        for (const text of ["0x10", "0b1", "0o7", "Infinity", "", " ", "1 ", "1e999"]) expect(decimal(text), text).toBeUndefined();
        expect(wholeNumber("16")).toBe(16);
        for (const text of ["2.5", "1e3", "0x10", "+1", "-1", "9007199254740993"]) expect(wholeNumber(text), text).toBeUndefined();
    });

    it("coefficients, σ and strengths up to their bounds", () => {
        expect(parseCoefficient(String(MAX_COEFFICIENT), "x")).toBe(MAX_COEFFICIENT);
        expect(parseCoefficient("-2e-1", "x")).toBe(-0.2);
        expect(parseSigma(`${MAX_SIGMA}σ`, "x")).toBe(MAX_SIGMA);
        expect(parseSigma("-.25s", "x")).toBe(-0.25);
        expect(parseStrength("0.5σ", "x")).toEqual({sigma: 0.5});
        expect(parseStrength("0.5", "x")).toEqual({coefficient: 0.5});
        expect(() => parseStrength("80σ", "happy")).toThrow('Strength "80σ" for happy is out of range');
        expect(() => parseStrength("0x10", "happy")).toThrow('Coefficient "0x10" for happy is not a number');
    });

    it("vector specs: NAME, NAME:C, NAME@Xσ, paths; both a coefficient and a strength is refused with the two forms", () => {
        expect(parseVectorStrengthSpec("tim@0.1σ")).toEqual({ref: "tim", sigma: 0.1});
        expect(parseVectorStrengthSpec("./v@2/x.gguf")).toEqual({ref: "./v@2/x.gguf", coefficient: 1});
        expect(parseVectorStrengthSpec("me@home")).toEqual({ref: "me@home", coefficient: 1});
        expect(parseVectorStrengthSpec("C:\\v\\x.gguf:2e-1")).toEqual({ref: "C:\\v\\x.gguf", coefficient: 0.2});
        expect(refusal(parseVectorStrengthSpec, "sue:0.5@0.1σ").toLine())
            .toBe('"sue:0.5@0.1σ" gives both a coefficient and a strength — give one of them: sue:0.5 or sue@0.1σ');
        expect(refusal(parseVectorStrengthSpec, "happy@0.5").toLine())
            .toBe('Strength "0.5" in "happy@0.5" has no unit — write happy@0.5σ for a strength in σ, or happy:0.5 for a raw coefficient');
        // only fixes that parse are offered: 80σ is past the bound, so only the raw coefficient is
        expect(refusal(parseVectorStrengthSpec, "happy@80").toLine())
            .toBe('Strength "80" in "happy@80" has no unit — write happy:80 for a raw coefficient');
        expect(refusal(parseVectorStrengthSpec, "sue:5000@0.1σ").toLine())
            .toBe('"sue:5000@0.1σ" gives both a coefficient and a strength — give one of them: sue@0.1σ');
        expect(parseVectorSpec("happy:2")).toEqual({ref: "happy", coefficient: 2});
    });

    it("layers and ranges are decimal whole numbers", () => {
        expect(parseLayer("6", "--layer")).toBe(6);
        expect(refusal((t) => parseLayer(t, "--layer"), "2.5").toLine())
            .toBe('Invalid layer for --layer: "2.5" — a layer is a whole number >= 1 in decimal digits, e.g. 6');
        expect(parseLayerRange("2-5")).toEqual({start: 2, end: 5});
        expect(parseLayerRange("0..3")).toEqual({start: 0, end: 3}); // layer 0 is fitted to 1 later, as llama.cpp does
    });

    it("sampling values with their bounds; a seed may be random", () => {
        expect(parseSamplingValue("temperature", "0")).toBe(0);
        expect(parseSamplingValue("top-p", "1")).toBe(1);
        expect(parseSamplingValue("seed", "4294967295")).toBe(4294967295);
        expect(parseSamplingValue("seed", "random")).toBeUndefined();
        expect(() => parseSamplingValue("temperature", "random")).toThrow(InputGrammarError);
        expect(refusal((t) => parseSamplingValue("top-k", t, "--top-k"), "2.5").toLine())
            .toBe('Invalid value for --top-k: "2.5" — use a whole number >= 0, e.g. 40');
    });
});
