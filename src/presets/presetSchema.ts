/**
 * A personality preset: named steering (vectors with coefficients, on/off and layers) plus an optional system prompt,
 * sampling and history policy. Pure: validation here is shared by the shipped JSON files and the user's store.
 */
import {displayQuoted} from "../displayText.js";
import {COEFFICIENT_RANGE, coefficientProblem, samplingRule, samplingValueProblem, SIGMA_RANGE, sigmaProblem} from "../steering/inputGrammar.js";
import {HISTORY_POLICIES, type HistoryPolicy} from "../engine/historyCache.js";
import {parseSteerPolicy, STEER_POLICIES, type CodeSteering, type SteerPolicy} from "../steering/steerPolicy.js";
import {parseCondition} from "../steering/conditionGate.js";
import {samplingSettingName, type SamplingOptions, type SamplingSettingName} from "../engine/sampling.js";

export type PresetVector = {
    /** a vector name (looked up in the vector folders) or a file path */
    vector: string,
    /** llama.cpp's raw coefficient: what this model was steered with (used when `sigma` cannot be: no calibration) */
    coefficient?: number,
    /** the calibrated strength in σ (see strengthUnits.ts): it moves between models, so it wins over `coefficient` */
    sigma?: number,
    enabled?: boolean,
    layers?: [number, number]
};

export type Preset = {
    name: string,
    description?: string,
    vectors: PresetVector[],
    systemPrompt?: string,
    sampling?: {temperature?: number, topK?: number, topP?: number, minP?: number, maxTokens?: number, seed?: number},
    /** what a steering change does to the evaluated history (see HistoryPolicy) */
    history?: HistoryPolicy,
    /** which tokens are steered: all, or only the reply (see SteerPolicy) */
    steer?: SteerPolicy,
    /** the SHA-256 of the model it was saved on: there its coefficients apply as stored, elsewhere its σ */
    model?: string,
    /** "off": no steering inside fenced code blocks of the reply (--steer-code) */
    steerCode?: CodeSteering,
    /** a condition gate, NAME>Z or NAME<Z (--when) */
    when?: string
};

export const PRESET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const PRESET_NAME_RULE = "use 1-64 letters, digits, . _ or -, starting with a letter or digit";

/** A name or key from a file, quoted for a message: control characters escaped, long ones cut. */
export function quoted(text: unknown): string {
    return displayQuoted(String(text));
}

/** Checks an untrusted value is a preset; returns the problem in words, or undefined. */
export function presetProblem(value: unknown): string | undefined {
    if (!isObject(value)) return "a preset must be a JSON object";
    const unknown = unknownField(value, ["name", "description", "vectors", "systemPrompt", "sampling", "history", "steer", "model", "steerCode", "when"]);
    if (unknown != null) return `unknown field ${quoted(unknown)}`;
    if (value.model != null && (typeof value.model !== "string" || !/^[0-9a-f]{64}$/.test(value.model)))
        return "model must be a SHA-256 in hex (the model the preset was saved on)";
    if (typeof value.name !== "string" || !PRESET_NAME.test(value.name)) return "name must be 1-64 letters, digits, . _ or -";
    if (value.description != null && typeof value.description !== "string") return "description must be text";
    if (value.systemPrompt != null && typeof value.systemPrompt !== "string") return "systemPrompt must be text";
    if (value.history != null && !(HISTORY_POLICIES as readonly unknown[]).includes(value.history)) return `history must be ${HISTORY_POLICIES.join(" or ")}`;
    if (value.steer != null && (typeof value.steer !== "string" || parseSteerPolicy(value.steer) !== value.steer))
        return `steer must be ${STEER_POLICIES.join(", ").replace(/, ([^,]*)$/, " or $1")}`;
    if (value.steerCode != null && value.steerCode !== "on" && value.steerCode !== "off") return "steerCode must be on or off";
    if (value.when != null && (typeof value.when !== "string" || parseCondition(value.when) == null)) return "when must be NAME>Z or NAME<Z";
    if (!Array.isArray(value.vectors)) return "vectors must be a list";
    for (const [i, v] of (value.vectors as unknown[]).entries()) {
        const problem = vectorProblem(v);
        if (problem) return `vectors[${i}]${problem}`;
    }
    return value.sampling != null ? samplingProblem(value.sampling) : undefined;
}

/** What is wrong with one of a preset's vectors, as the rest of "vectors[i]…", or undefined. */
function vectorProblem(v: unknown): string | undefined {
    if (!isObject(v)) return " must be an object";
    const unknown = unknownField(v, ["vector", "coefficient", "sigma", "enabled", "layers"]);
    if (unknown != null) return ` has an unknown field ${quoted(unknown)}`;
    if (typeof v.vector !== "string" || v.vector === "") return ".vector must name a vector";
    if (v.coefficient == null && v.sigma == null) return " needs a coefficient or a sigma";
    if (v.coefficient != null) {
        if (typeof v.coefficient !== "number" || !Number.isFinite(v.coefficient)) return ".coefficient must be a number";
        if (coefficientProblem(v.coefficient)) return `.coefficient must be ${COEFFICIENT_RANGE}`;
    }
    if (v.sigma != null && (typeof v.sigma !== "number" || sigmaProblem(v.sigma) != null)) return `.sigma must be a number ${SIGMA_RANGE}`;
    if (v.enabled != null && typeof v.enabled !== "boolean") return ".enabled must be true or false";
    const l = v.layers;
    if (l != null && (!Array.isArray(l) || l.length !== 2 || !l.every((n) => Number.isInteger(n) && n >= 1) || l[0] > l[1]))
        return ".layers must be [start, end] with 1 <= start <= end";
    return undefined;
}

/** the sampling a preset may store: every setting /set changes and /settings lists */
export const PRESET_SAMPLING_KEYS = ["temperature", "topK", "topP", "minP", "maxTokens", "seed"] as const;

function samplingProblem(sampling: unknown): string | undefined {
    if (!isObject(sampling)) return "sampling must be an object";
    for (const [key, value] of Object.entries(sampling)) {
        if (!(PRESET_SAMPLING_KEYS as readonly string[]).includes(key)) return `unknown sampling field ${quoted(key)}`;
        // the bounds /set and the CLI's flags take (inputGrammar)
        const name = samplingSettingName(key as keyof SamplingOptions) as SamplingSettingName;
        const problem = typeof value !== "number" ? `must be ${samplingRule(name).replace(/, or random$/, "")}` : samplingValueProblem(name, value);
        if (problem) return `sampling.${key} ${problem}`;
    }
    return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
    return value != null && typeof value === "object" && !Array.isArray(value);
}

function unknownField(value: Record<string, unknown>, known: string[]): string | undefined {
    return Object.keys(value).find((key) => !known.includes(key));
}
