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
