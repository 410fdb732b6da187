/**
 * node-llama-cpp's chat session samples through `sequence.evaluate`, which drops each token's probability, so chat
 * replies had no coherence gauge. This shadows `evaluate` on one sequence with the same loop over
 * `evaluateWithMetadata(tokens, {confidence: true}, options)` — exactly what the pinned node-llama-cpp's `evaluate`
 * does with empty metadata — and records the probability of every token it yields.
 */
import type {LlamaContextSequence, Token} from "node-llama-cpp";

export type ConfidenceRecorder = {
    /** starts a new reply's record */
    reset(): void,
    /** mean natural-log probability of the tokens sampled since reset() (undefined: none) */
    meanLogProb(): number | undefined,
    /**
     * On the next `evaluate` (the one that evaluates a prompt and generates after it): evaluates all its tokens but
     * the last without generating, calls `hook`, then goes on from the last token. How the reply-only steering
     * policy switches the control vector on at the last prompt token inside node-llama-cpp's chat session.
     * undefined disarms it.
     */
    splitNextEvaluate(hook: (() => void) | undefined): void,
    /** the tokens the model had read before the first token sampled since reset() (the cache and the prompt) */
    promptContext(): Token[] | undefined
};

export function recordTokenConfidence(sequence: LlamaContextSequence): ConfidenceRecorder {
    let logProbSum = 0;
    let count = 0;
    let split: (() => void) | undefined;
    let context: Token[] | undefined;
    async function* evaluate(tokens: Token[], options: Parameters<LlamaContextSequence["evaluate"]>[1] = {}) {
        if (count === 0 && context == null) context = [...sequence.contextTokens, ...tokens];
        const hook = split;
        split = undefined;
        if (hook != null) {
            if (tokens.length > 1) await sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(0, -1));
            hook();
            tokens = tokens.slice(-1);
        }
        const iterator = sequence.evaluateWithMetadata(tokens, {confidence: true}, options);
        let input: Token | Token[] | undefined = undefined;
        try {
            while (true) {
                const {value, done} = await iterator.next(input as never);
                if (done) return;
                logProbSum += Math.log(Math.max(value.confidence, Number.MIN_VALUE));
                count++;
                input = yield value.token;
            }
        } finally {
            await iterator.return(undefined as never);
        }
    }
    Object.defineProperty(sequence, "evaluate", {value: evaluate, configurable: true, writable: true});
    return {
        reset() { logProbSum = 0; count = 0; context = undefined; },
        meanLogProb: () => (count > 0 ? logProbSum / count : undefined),
        splitNextEvaluate(hook) { split = hook; },
        promptContext: () => context
    };
}
