/**
 * The request bodies, as JSON schemas fastify validates before a handler runs, and their types. OpenAI's fields keep
 * OpenAI's names and ranges (and may be null, as some clients send for "not given"); unknown top-level fields are
 * ignored, as OpenAI-compatible servers ignore them, but the `steering` object is strict, so a misspelt field is an
 * error rather than silently unsteered output. A `description` is the phrase an error message uses for its field
 * (validationMessage), so a client reads "steering.vectors[0].name must be a vector name …" and not a regex.
 */
import {MAX_COEFFICIENT, MAX_SIGMA} from "../steering/inputGrammar.js";
import {STEER_POLICIES, type SteerPolicy} from "../steering/steerPolicy.js";

/** vector and preset names: file names of the server's folders, never paths */
export const NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$";
/** the most vectors one steering may mix */
export const MAX_VECTORS = 16;
/** the most stop strings, as OpenAI */
export const MAX_STOPS = 4;
/** the longest stop string, in characters */
export const MAX_STOP_LENGTH = 256;

export type SteeringVectorSpec = {name: string, coefficient?: number, sigma?: number, layers?: [number, number]};
/** the `steering` field: vectors by name (or a preset) and the policy; false is the unsteered model */
export type SteeringSpec = false | {vectors?: SteeringVectorSpec[], preset?: string, policy?: SteerPolicy};

const nullable = (type: string) => [type, "null"];

export const steeringVectorSchema = {
    type: "object",
    additionalProperties: false,
    required: ["name"],
    properties: {
        name: {type: "string", pattern: NAME_PATTERN, description: "a vector name from the server's vector folders (letters, digits, . _ -; not a path)"},
        coefficient: {type: "number", minimum: -MAX_COEFFICIENT, maximum: MAX_COEFFICIENT},
        sigma: {type: "number", minimum: -MAX_SIGMA, maximum: MAX_SIGMA},
        layers: {type: "array", minItems: 2, maxItems: 2, items: {type: "integer", minimum: 0, maximum: 100_000},
            description: "a layer range [first, last]"}
    }
} as const;

export const steeringSchema = {
    type: ["object", "boolean"],
    description: "false (unsteered), or an object: {\"vectors\": [...], \"policy\": \"all\"|\"reply\"} or {\"preset\": NAME}",
    additionalProperties: false,
    properties: {
        vectors: {type: "array", maxItems: MAX_VECTORS, items: steeringVectorSchema},
        preset: {type: "string", pattern: NAME_PATTERN, description: "a preset name (letters, digits, . _ -)"},
        policy: {type: "string", enum: STEER_POLICIES}
    }
} as const;

const stopSchema = {
    type: ["string", "array", "null"],
    maxItems: MAX_STOPS,
    maxLength: MAX_STOP_LENGTH,
    items: {type: "string", minLength: 1, maxLength: MAX_STOP_LENGTH},
    description: `a string or an array of at most ${MAX_STOPS} non-empty strings of at most ${MAX_STOP_LENGTH} characters`
} as const;

/** what both endpoints take beside their prompt */
const commonProperties = {
    model: {type: "string", maxLength: 1000},
    temperature: {type: nullable("number"), minimum: 0, maximum: 2},
    top_p: {type: nullable("number"), minimum: 0, maximum: 1},
    // llama-server's extras, taken as it takes them
    top_k: {type: nullable("integer"), minimum: 0, maximum: 100_000},
    min_p: {type: nullable("number"), minimum: 0, maximum: 1},
    seed: {type: nullable("integer"), minimum: 0, maximum: 2 ** 32 - 1},
    max_tokens: {type: nullable("integer"), minimum: 1},
    stop: stopSchema,
    stream: {type: nullable("boolean")},
    stream_options: {type: nullable("object"), properties: {include_usage: {type: nullable("boolean")}}},
    n: {type: nullable("integer"), minimum: 1, maximum: 1, description: "1 (this server writes one choice)"},
    presence_penalty: {type: nullable("number"), minimum: -2, maximum: 2},
    frequency_penalty: {type: nullable("number"), minimum: -2, maximum: 2},
    user: {type: "string", maxLength: 1000},
    steering: steeringSchema,
    gauge: {type: "boolean"},
    readout: {type: "boolean"},
    cache_prompt: {type: "boolean"}
} as const;

const textPartSchema = {
    type: "object",
    required: ["type", "text"],
    description: "a text part {\"type\": \"text\", \"text\": ...} (this server reads text only)",
    properties: {type: {type: "string", const: "text", description: "\"text\" (this server reads text only)"}, text: {type: "string"}}
} as const;

export const CHAT_ROLES = ["system", "developer", "user", "assistant"] as const;

export const chatBodySchema = {
    type: "object",
    required: ["model", "messages"],
    properties: {
        ...commonProperties,
        messages: {
            type: "array", minItems: 1, maxItems: 10_000,
            items: {
                type: "object",
                required: ["role", "content"],
                properties: {
                    role: {type: "string", enum: CHAT_ROLES},
                    content: {type: ["string", "array"], items: textPartSchema, description: "a string, or an array of text parts"},
                    name: {type: "string"}
                }
            }
        },
        max_completion_tokens: {type: nullable("integer"), minimum: 1},
        logprobs: {type: nullable("boolean")},
        top_logprobs: {type: nullable("integer"), minimum: 0, maximum: 20}
    }
} as const;

export const completionBodySchema = {
    type: "object",
    required: ["model", "prompt"],
    properties: {
        ...commonProperties,
        prompt: {type: ["string", "array"], minItems: 1, maxItems: 1, items: {type: "string"},
            description: "a string (or an array of one string)"},
        logprobs: {type: nullable("integer"), minimum: 0, maximum: 5},
        echo: {type: nullable("boolean")},
        suffix: {type: nullable("string")},
        best_of: {type: nullable("integer"), minimum: 1, maximum: 1, description: "1 (this server writes one choice)"}
    }
} as const;

type Nullable<T> = T | null | undefined;

export type CommonBody = {
    model: string,
    temperature?: Nullable<number>,
    top_p?: Nullable<number>,
    top_k?: Nullable<number>,
    min_p?: Nullable<number>,
    seed?: Nullable<number>,
    max_tokens?: Nullable<number>,
    stop?: Nullable<string | string[]>,
    stream?: Nullable<boolean>,
    stream_options?: Nullable<{include_usage?: Nullable<boolean>}>,
    n?: Nullable<number>,
    presence_penalty?: Nullable<number>,
    frequency_penalty?: Nullable<number>,
    steering?: SteeringSpec | true,
    gauge?: boolean,
    readout?: boolean,
    cache_prompt?: boolean
};

export type ChatRequestMessage = {role: typeof CHAT_ROLES[number], content: string | {type: "text", text: string}[]};

export type ChatBody = CommonBody & {
    messages: ChatRequestMessage[],
    max_completion_tokens?: Nullable<number>,
    logprobs?: Nullable<boolean>,
    top_logprobs?: Nullable<number>
};

export type CompletionBody = CommonBody & {
    prompt: string | [string],
    logprobs?: Nullable<number>,
    echo?: Nullable<boolean>,
    suffix?: Nullable<string>,
    best_of?: Nullable<number>
};

/** Ajv's error for a field, as fastify passes it to the formatter (with `verbose`, the schema node it failed). */
export type SchemaError = {instancePath: string, keyword: string, message?: string, params: Record<string, unknown>,
    parentSchema?: {description?: string}};

/**
 * One line for a body that fails its schema: the most specific error (the deepest field), as
 * `steering.vectors[0].coefficient must be number`, or with the field's description when it has one.
 */
export function validationMessage(errors: readonly SchemaError[], where = "body"): {message: string, param: string | null} {
    const deepest = [...errors].sort((a, b) => depth(b.instancePath) - depth(a.instancePath))[0];
    if (deepest == null) return {message: `The request ${where} is invalid`, param: null};
    const param = fieldName(deepest.instancePath);
    const field = param ?? `the ${where}`;
    if (deepest.keyword === "additionalProperties")
        return {message: `${field} has an unknown field "${String(deepest.params.additionalProperty)}"`, param};
    if (deepest.keyword === "required" && deepest.parentSchema?.description != null)
        return {message: `${field} must be ${deepest.parentSchema.description}`, param};
    if (deepest.keyword === "required")
        return {message: `${field} needs the field "${String(deepest.params.missingProperty)}"`,
            param: param == null ? String(deepest.params.missingProperty) : `${param}.${String(deepest.params.missingProperty)}`};
    if (deepest.keyword === "enum")
        return {message: `${field} must be one of ${(deepest.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`, param};
    const described = deepest.parentSchema?.description;
    if (described != null) return {message: `${field} must be ${described}`, param};
    if (deepest.keyword === "type") return {message: `${field} must be ${typeWords(deepest.params.type)}`, param};
    return {message: `${field} ${deepest.message ?? "is invalid"}`, param};
}

const TYPE_WORDS: Record<string, string> = {number: "a number", integer: "a whole number", string: "a string", boolean: "true or false",
    object: "an object", array: "an array"};

/** ajv's "integer,null" as words: "a whole number" (null, taken for "not given", is not worth saying) */
function typeWords(type: unknown): string {
    const types = (Array.isArray(type) ? type : [type]).map(String).filter((t) => t !== "null");
    return types.map((t) => TYPE_WORDS[t] ?? t).join(" or ");
}

const depth = (instancePath: string) => (instancePath === "" ? 0 : instancePath.split("/").length);

/** "/steering/vectors/0/name" → "steering.vectors[0].name"; "" → null */
function fieldName(instancePath: string): string | null {
    if (instancePath === "") return null;
    return instancePath.split("/").slice(1).map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
        .reduce((name, part) => (/^\d+$/.test(part) ? `${name}[${part}]` : name === "" ? part : `${name}.${part}`), "");
}
