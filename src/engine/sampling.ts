/** Sampling settings shared by chat and raw mode. Defaults are llama.cpp's own (common_params_sampling). */
export type SamplingOptions = {
    /** 0 means greedy: always the most likely token */
    temperature: number,
    topK: number,
    topP: number,
    minP: number,
    /** fixed seed for reproducible sampling; undefined picks one per reply */
    seed?: number,
    maxTokens: number
};

export const DEFAULT_SAMPLING: SamplingOptions = {
    temperature: 0.8,
    topK: 40,
    topP: 0.95,
    minP: 0.05,
    seed: undefined,
    maxTokens: 1024
};

/** The settings /set changes and /settings shows, by the names the user types (as the CLI flags spell them). */
export const SAMPLING_SETTINGS = {
    temperature: {key: "temperature", min: 0, integer: false},
    "top-k": {key: "topK", min: 0, integer: true},
    "top-p": {key: "topP", min: 0, max: 1, integer: false},
    "min-p": {key: "minP", min: 0, max: 1, integer: false},
    seed: {key: "seed", min: 0, max: 4294967295, integer: true},
    "max-tokens": {key: "maxTokens", min: 1, integer: true}
} as const satisfies Record<string, {key: keyof SamplingOptions, min: number, max?: number, integer: boolean}>;

export type SamplingSettingName = keyof typeof SAMPLING_SETTINGS;

/** `temperature 0.8 · top-k 40 · … · seed random`, in the order of SAMPLING_SETTINGS. */
export function describeSampling(sampling: SamplingOptions): string {
    return Object.entries(SAMPLING_SETTINGS).map(([name, {key}]) => `${name} ${sampling[key] ?? "random"}`).join(" · ");
}

/** The name a user types for a sampling field (topK -> top-k). */
export function samplingSettingName(key: keyof SamplingOptions): string {
    return Object.entries(SAMPLING_SETTINGS).find(([, s]) => s.key === key)?.[0] ?? key;
}
