/**
 * A personality preset: named steering (vectors with coefficients, on/off and layers) plus an optional system prompt,
 * sampling and history policy. Pure: validation here is shared by the shipped JSON files and the user's store.
 */
import {HISTORY_POLICIES, type HistoryPolicy} from "../engine/historyCache.js";

export type PresetVector = {
    /** a vector name (looked up in the vector folders) or a file path */
    vector: string,
    coefficient: number,
    enabled?: boolean,
    layers?: [number, number]
};

export type Preset = {
    name: string,
    description?: string,
    vectors: PresetVector[],
    systemPrompt?: string,
    sampling?: {temperature?: number, topK?: number, topP?: number, minP?: number},
    /** what a steering change does to the evaluated history (see HistoryPolicy) */
    history?: HistoryPolicy
};

export const PRESET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** JSON Schema for one preset (conf validates the whole store with it). */
export const presetJsonSchema = {
    type: "object",
    required: ["name", "vectors"],
    additionalProperties: false,
    properties: {
        name: {type: "string", pattern: PRESET_NAME.source},
        description: {type: "string"},
        systemPrompt: {type: "string"},
        history: {enum: [...HISTORY_POLICIES]},
        vectors: {
            type: "array",
            items: {
                type: "object",
                required: ["vector", "coefficient"],
                additionalProperties: false,
                properties: {
                    vector: {type: "string", minLength: 1},
                    coefficient: {type: "number"},
                    enabled: {type: "boolean"},
                    layers: {type: "array", items: {type: "integer", minimum: 1}, minItems: 2, maxItems: 2}
                }
            }
        },
        sampling: {
            type: "object",
            additionalProperties: false,
            properties: {
                temperature: {type: "number", minimum: 0},
                topK: {type: "integer", minimum: 0},
                topP: {type: "number", minimum: 0, maximum: 1},
                minP: {type: "number", minimum: 0, maximum: 1}
            }
        }
    }
} as const;

/** Checks an untrusted value is a preset; returns the problem in words, or undefined. */
export function presetProblem(value: unknown): string | undefined {
    if (value == null || typeof value !== "object" || Array.isArray(value)) return "a preset must be a JSON object";
    const p = value as Record<string, unknown>;
    for (const key of Object.keys(p))
        if (!["name", "description", "vectors", "systemPrompt", "sampling", "history"].includes(key)) return `unknown field "${key}"`;
    if (typeof p.name !== "string" || !PRESET_NAME.test(p.name)) return "name must be 1-64 letters, digits, . _ or -";
    if (p.description != null && typeof p.description !== "string") return "description must be text";
    if (p.systemPrompt != null && typeof p.systemPrompt !== "string") return "systemPrompt must be text";
    if (p.history != null && !(HISTORY_POLICIES as readonly unknown[]).includes(p.history)) return `history must be ${HISTORY_POLICIES.join(" or ")}`;
    if (!Array.isArray(p.vectors)) return "vectors must be a list";
    for (const [i, v] of (p.vectors as unknown[]).entries()) {
        if (v == null || typeof v !== "object") return `vectors[${i}] must be an object`;
        const entry = v as Record<string, unknown>;
        if (typeof entry.vector !== "string" || entry.vector === "") return `vectors[${i}].vector must name a vector`;
        if (typeof entry.coefficient !== "number" || !Number.isFinite(entry.coefficient)) return `vectors[${i}].coefficient must be a number`;
        if (entry.enabled != null && typeof entry.enabled !== "boolean") return `vectors[${i}].enabled must be true or false`;
        if (entry.layers != null) {
            const l = entry.layers;
            if (!Array.isArray(l) || l.length !== 2 || !l.every((n) => Number.isInteger(n) && n >= 1) || l[0] > l[1])
                return `vectors[${i}].layers must be [start, end] with 1 <= start <= end`;
        }
    }
    if (p.sampling != null) {
        if (typeof p.sampling !== "object") return "sampling must be an object";
        const s = p.sampling as Record<string, unknown>;
        for (const [key, value] of Object.entries(s)) {
            if (!["temperature", "topK", "topP", "minP"].includes(key)) return `unknown sampling field "${key}"`;
            if (typeof value !== "number" || !Number.isFinite(value) || value < 0) return `sampling.${key} must be a number >= 0`;
        }
    }
    return undefined;
}
