/**
 * The one grammar for what a person types as a number: coefficients, strengths in σ, layers and layer ranges, vector
 * specs (NAME, NAME:C, NAME@Xσ) and sampling values. The CLI flags, the slash commands and the preset checks all
 * parse here, so the chat and the command line accept and refuse the same inputs and read them as the same values.
 * Pure: no llama.cpp, no Ink.
 *
 * Numbers are written in decimal: `0.5`, `-1`, `.5`, `+2`, `1e-3` (an exponent only where a fraction makes sense).
 * Whole numbers (layers, seeds, token counts, top-k) are digits only: `0x10`, `1e3`, `2.5` are refused, never read
 * as 16, 1000 or 2. JavaScript's Number() would take hex, binary, "Infinity" and blanks; nothing here uses it on
 * text that was not checked first.
 *
 * Every refusal is an InputGrammarError: one line naming the input, and a fix whose example (`example`) is itself an
 * input this grammar takes (the tests parse every one).
 */
import {UserFacingError} from "../errors.js";
import {SAMPLING_SETTINGS, type SamplingSettingName} from "../engine/sampling.js";
import type {LayerRange} from "./mixControlVectors.js";

/**
 * The largest coefficient taken, of either sign: the panel's range, and the bound on every coefficient that comes in
 * (--vector, /vector, /sweep, presets). Far past where any vector still gives text, and well inside what float32
 * and the rounding of coefficients keep finite.
 */
export const MAX_COEFFICIENT = 1000;

export const COEFFICIENT_RANGE = `from -${MAX_COEFFICIENT} to ${MAX_COEFFICIENT}`;

/** The largest strength in σ taken, of either sign (50 layer norms: far past anything that still writes text). */
export const MAX_SIGMA = 50;

export const SIGMA_RANGE = `from -${MAX_SIGMA} to ${MAX_SIGMA}`;

/** A refused input: the message names it, the hint gives the fix, and `example` is that fix as an input that parses. */
export class InputGrammarError extends UserFacingError {
    constructor(message: string, hint: string, readonly example: string) {
        super(message, hint);
        this.name = "InputGrammarError";
    }
}

/** a decimal number: sign, digits with an optional fraction, an optional exponent */
const DECIMAL = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i;
/** a whole number in decimal digits */
const WHOLE = /^\d+$/;

/** The number `text` writes in decimal, or undefined for anything else (hex, Infinity, blanks, words). */
export function decimal(text: string): number | undefined {
    if (!DECIMAL.test(text)) return undefined;
    const value = Number(text);
    return Number.isFinite(value) ? value : undefined;
}

/** The whole number `text` writes in decimal digits, or undefined (also for one too large to be exact). */
export function wholeNumber(text: string): number | undefined {
    if (!WHOLE.test(text)) return undefined;
    const value = Number(text);
    return Number.isSafeInteger(value) ? value : undefined;
}

/** Why a coefficient is refused ("not a number", "out of range"), or undefined when it is fine. */
export function coefficientProblem(value: number): string | undefined {
    if (!Number.isFinite(value)) return "not a number";
    if (Math.abs(value) > MAX_COEFFICIENT) return "out of range";
    return undefined;
}

/** Why a strength in σ is refused, or undefined when it is fine. */
export function sigmaProblem(value: number): string | undefined {
    if (!Number.isFinite(value)) return "not a number";
    if (Math.abs(value) > MAX_SIGMA) return "out of range";
    return undefined;
}

/** A coefficient that came in as a number (a preset, the panel): thrown back in one line when out of range. */
export function checkCoefficient(value: number, name: string): number {
    const problem = coefficientProblem(value);
    if (problem) throw new InputGrammarError(`Coefficient ${value} for ${name} is ${problem}`, `use a number ${COEFFICIENT_RANGE}, e.g. 0.5`, "0.5");
    return value;
}

/** a σ suffix: "σ", or "s" for keyboards without it */
const SIGMA_UNIT = /^(.*?)\s*(?:σ|s)$/i;

/** A coefficient as typed: "0.5", "-1", "2e-1". `name` is the vector, for the message. */
export function parseCoefficient(text: string, name: string): number {
    const value = decimal(text);
    const problem = value == null ? "not a number" : coefficientProblem(value);
    if (problem)
        throw new InputGrammarError(`Coefficient "${text}" for ${name} is ${problem}`, `use a number ${COEFFICIENT_RANGE}, e.g. 0.5`, "0.5");
    return value!;
}

/** A strength as typed: "0.5σ", "-1s". `name` is the vector, for the message. */
export function parseSigma(text: string, name: string): number {
    const unit = SIGMA_UNIT.exec(text);
    const value = unit == null ? undefined : decimal(unit[1]!);
    const problem = value == null ? "not a number" : sigmaProblem(value);
    if (problem)
        throw new InputGrammarError(`Strength "${text}" for ${name} is ${problem}`, `write Xσ (or Xs) with X a number ${SIGMA_RANGE}, e.g. 0.5σ`, "0.5σ");
    return value!;
}

/** A coefficient or a strength in σ. */
export type Strength = {coefficient: number, sigma?: undefined} | {sigma: number, coefficient?: undefined};

/** `/vector set NAME VALUE`'s value: a coefficient ("0.5") or a strength ("0.5σ", "0.5s"). */
export function parseStrength(text: string, name: string): Strength {
    // "0.5σ", "80σ", "xσ" are meant as strengths; "0.5s" too, but "lots" is a bad coefficient
    const meantAsSigma = /σ$/.test(text) || (SIGMA_UNIT.test(text) && decimal(SIGMA_UNIT.exec(text)![1]!) != null);
    return meantAsSigma ? {sigma: parseSigma(text, name)} : {coefficient: parseCoefficient(text, name)};
}

/** a suffix that belongs to a file path, not a strength */
const PATHLIKE = /[\\/]|\.gguf$/i;

/** A vector and its strength: llama.cpp's raw coefficient (NAME:C, default 1), or a calibrated one in σ (NAME@Xσ). */
export type VectorStrengthSpec = {ref: string} & Strength;

const SPEC_FORMS = "NAME_OR_FILE[:C] or NAME_OR_FILE@Xσ";

/**
 * Parses "NAME_OR_PATH[:COEFF]" or "NAME_OR_PATH@Xσ" (also "@Xs", for keyboards without σ). A trailing ":number"
 * is llama.cpp's raw coefficient (default 1, as llama.cpp's --control-vector); a trailing "@number σ" a strength in
 * σ (see strengthUnits.ts), which needs the model's calibration to become a coefficient. A trailing ":word" that is
 * not a file name ("happy:abc") is a bad coefficient, not part of the name; "@0.5" without a unit, or both a
 * coefficient and a strength ("sue:0.5@0.1σ"), are refused with the forms that parse.
 */
export function parseVectorStrengthSpec(spec: string): VectorStrengthSpec {
    if (spec.trim() === "") throw new InputGrammarError("Empty vector name", `write ${SPEC_FORMS}, e.g. happy:0.5`, "happy:0.5");
    const at = spec.lastIndexOf("@");
    if (at > 0 && !PATHLIKE.test(spec.slice(at + 1))) {
        const ref = spec.slice(0, at);
        const suffix = spec.slice(at + 1);
        const colon = ref.lastIndexOf(":");
        if (colon > 0 && decimal(ref.slice(colon + 1)) != null) throw both(spec, ref.slice(0, colon), [ref, `${ref.slice(0, colon)}@${suffix}`]);
        if (SIGMA_UNIT.test(suffix)) {
            const unit = SIGMA_UNIT.exec(suffix)!;
            const sigma = decimal(unit[1]!);
            const problem = sigma == null ? "not a number" : sigmaProblem(sigma);
            if (problem)
                throw new InputGrammarError(`Strength "${suffix}" in "${spec}" is ${problem}`,
                    `write NAME@Xσ (or NAME@Xs) with X a number ${SIGMA_RANGE}, e.g. ${ref}@0.5σ`, `${ref}@0.5σ`);
            return {ref, sigma: sigma!};
        }
        if (decimal(suffix) != null) {
            const [sigma, raw] = [`${ref}@${suffix}σ`, `${ref}:${suffix}`].map((form) => (parses(form) ? form : undefined));
            throw new InputGrammarError(`Strength "${suffix}" in "${spec}" has no unit`, sigma == null && raw == null
                ? `write NAME@Xσ with X a number ${SIGMA_RANGE}, e.g. ${ref}@0.5σ`
                : [sigma && `write ${sigma} for a strength in σ`, raw && `${sigma ? "or " : "write "}${raw} for a raw coefficient`].filter(Boolean).join(", "),
            sigma ?? raw ?? `${ref}@0.5σ`);
        }
    }
    const colon = spec.lastIndexOf(":");
    const [ref, suffix] = colon > 0 ? [spec.slice(0, colon), spec.slice(colon + 1)] : [spec, undefined];
    if (suffix == null || PATHLIKE.test(suffix)) return {ref: spec, coefficient: 1};
    const sigmaAt = ref.lastIndexOf("@");
    const sigmaBefore = sigmaAt > 0 ? SIGMA_UNIT.exec(ref.slice(sigmaAt + 1)) : null;
    if (sigmaBefore != null && decimal(sigmaBefore[1]!) != null)
        throw both(spec, ref.slice(0, sigmaAt), [`${ref.slice(0, sigmaAt)}:${suffix}`, ref]);
    const coefficient = decimal(suffix);
    const problem = coefficient == null ? "not a number" : coefficientProblem(coefficient);
    if (problem)
        throw new InputGrammarError(`Coefficient "${suffix}" in "${spec}" is ${problem}`,
            `write NAME:C with C a number ${COEFFICIENT_RANGE}, e.g. ${ref}:0.5`, `${ref}:0.5`);
    return {ref, coefficient: coefficient!};
}

/** whether `spec` is a vector spec this grammar takes (for the fixes a refusal suggests) */
function parses(spec: string): boolean {
    try {
        parseVectorStrengthSpec(spec);
        return true;
    } catch {
        return false;
    }
}

/** "NAME:C@Xσ": the refusal, offering the two forms it was written as when they parse (else NAME:0.5) */
function both(spec: string, name: string, forms: string[]): InputGrammarError {
    const fixes = forms.filter(parses);
    return new InputGrammarError(`"${spec}" gives both a coefficient and a strength`,
        fixes.length > 0 ? `give one of them: ${fixes.join(" or ")}` : `give one of them, e.g. ${name}:0.5`, fixes[0] ?? `${name}:0.5`);
}

/** A layer as typed: a whole number >= 1 in decimal digits (`flag` names where it was given, e.g. "--layer"). */
export function parseLayer(text: string, flag: string): number {
    const value = wholeNumber(text);
    if (value == null || value < 1)
        throw new InputGrammarError(`Invalid layer for ${flag}: "${text}"`, "a layer is a whole number >= 1 in decimal digits, e.g. 6", "6");
    return value;
}

/** Parses "A-B" (also "A..B"): two layers in decimal digits, A <= B. */
export function parseLayerRange(text: string): LayerRange {
    const match = /^\s*(\d+)\s*(?:-|\.\.)\s*(\d+)\s*$/.exec(text);
    const start = match == null ? undefined : wholeNumber(match[1]!);
    const end = match == null ? undefined : wholeNumber(match[2]!);
    if (start == null || end == null || end < start)
        throw new InputGrammarError(`Invalid layer range "${text}"`, "write it as START-END, two whole numbers with START <= END, e.g. 1-3", "1-3");
    return {start, end};
}

/** What a sampling value must be, in words: "a whole number >= 0 and <= 4294967295". */
export function samplingRule(name: SamplingSettingName): string {
    const setting = SAMPLING_SETTINGS[name];
    const max = "max" in setting ? setting.max : undefined;
    return `${setting.integer ? "a whole number" : "a number"} >= ${setting.min}${max != null ? ` and <= ${max}` : ""}${name === "seed" ? ", or random" : ""}`;
}

/** Why a sampling value (from a preset, or parsed) is refused, or undefined. */
export function samplingValueProblem(name: SamplingSettingName, value: number): string | undefined {
    const setting = SAMPLING_SETTINGS[name];
    const max = "max" in setting ? setting.max : undefined;
    if (!Number.isFinite(value) || value < setting.min || (max != null && value > max) || (setting.integer && !Number.isSafeInteger(value)))
        return `must be ${samplingRule(name).replace(/, or random$/, "")}`;
    return undefined;
}

const SAMPLING_EXAMPLES: Record<SamplingSettingName, string> = {
    temperature: "0.8", "top-k": "40", "top-p": "0.95", "min-p": "0.05", seed: "42", "max-tokens": "256"
};

/**
 * A sampling value as typed, by the name the user types (temperature, top-k, …, as the CLI flags spell them);
 * `label` names it in the message ("--seed", "seed"). A seed may be "random": undefined, a new seed each reply.
 */
export function parseSamplingValue(name: SamplingSettingName, text: string, label: string = name): number | undefined {
    if (name === "seed" && text === "random") return undefined;
    const setting = SAMPLING_SETTINGS[name];
    const value = setting.integer ? wholeNumber(text) : decimal(text);
    if (value == null || samplingValueProblem(name, value) != null)
        throw new InputGrammarError(`Invalid value for ${label}: "${text}"`, `use ${samplingRule(name)}, e.g. ${SAMPLING_EXAMPLES[name]}`,
            SAMPLING_EXAMPLES[name]);
    return value;
}

/**
 * Parses "NAME_OR_PATH[:COEFF]" where only a raw coefficient is taken (read: the direction, not a strength); a
 * strength in σ is refused in one line, since turning it into a coefficient needs the model's calibration.
 */
export function parseVectorSpec(spec: string): {ref: string, coefficient: number} {
    const parsed = parseVectorStrengthSpec(spec);
    if (parsed.sigma != null)
        throw new InputGrammarError(`"${spec}" gives a strength in σ, which is not taken here`, `give a raw coefficient instead, e.g. ${parsed.ref}:0.5`,
            `${parsed.ref}:0.5`);
    return parsed;
}
