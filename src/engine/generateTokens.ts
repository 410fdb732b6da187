/**
 * The token-by-token generation loop used for raw completion (and anything that must match llama.cpp exactly).
 *
 * Why not node-llama-cpp's LlamaCompletion: it tokenizes the prompt with "trimLeadingSpace" (via a BOS/newline
 * workaround) and re-uses whatever KV cache the sequence already holds, so on some inputs its prompt tokens differ
 * from what llama.cpp's own tools feed the model. Here the prompt is tokenized exactly as llama-completion does
 * (parse special tokens, add BOS when the model asks for it) and evaluated with `sequence.evaluate`.
 */
import type {LlamaContextSequence, LlamaModel, Token} from "node-llama-cpp";
import {IncrementalDetokenizer} from "./incrementalDetokenizer.js";
import {ReplyMeter} from "./replyMeter.js";
import type {SamplingOptions} from "./sampling.js";

export type StopReason = "eos" | "maxTokens" | "aborted" | "contextFull";

export type GenerationResult = {
    text: string,
    tokens: Token[],
    stopReason: StopReason,
    /** tokens per second of the decode phase (first generated token to last) */
    tokensPerSecond: number,
    /** mean natural-log probability of the chosen tokens: a coherence gauge */
    meanLogProb: number | undefined,
    /** the end-of-generation token sampled last (stopReason eos), when asked for with keepEogToken; not evaluated */
    eogToken?: Token
};

export type GenerateOptions = SamplingOptions & {
    signal?: AbortSignal,
    onText?: (chunk: string) => void,
    /** report which end-of-generation token ended the reply (chat mode puts it in the history, as llama.cpp does) */
    keepEogToken?: boolean,
    /** the reply's clock, when the caller started it before the prompt phase (default: one started here) */
    meter?: ReplyMeter
};

/** Tokenizes a prompt the way llama.cpp's llama-completion does (add_special = true, parse_special = true). */
export function tokenizePrompt(model: LlamaModel, text: string): Token[] {
    const tokens = model.tokenize(text, true);
    const bos = model.tokens.bos;
    if (model.tokens.shouldPrependBosToken && bos != null && tokens[0] !== bos) tokens.unshift(bos);
    return tokens;
}

export async function generateTokens(sequence: LlamaContextSequence, inputTokens: Token[],
    options: GenerateOptions): Promise<GenerationResult> {
    const model = sequence.model;
    const detokenizer = new IncrementalDetokenizer((t, s, l) => model.detokenize(t, s, l),
        [...sequence.contextTokens, ...inputTokens]);
    const tokens: Token[] = [];
    let text = "";
    let stopReason: StopReason = "eos";
    const meter = options.meter ?? new ReplyMeter();
    let logProbSum = 0;
    let eogToken: Token | undefined;
    const room = sequence.context.contextSize - sequence.nextTokenIndex - inputTokens.length;
    const maxTokens = Math.min(options.maxTokens, Math.max(0, room));

    if (options.signal?.aborted || maxTokens <= 0)
        return {text, tokens, stopReason: options.signal?.aborted ? "aborted" : "contextFull", tokensPerSecond: 0, meanLogProb: undefined};

    const iterator = sequence.evaluateWithMetadata(inputTokens, {confidence: true}, {
        temperature: options.temperature,
        topK: options.topK,
        topP: options.topP,
        minP: options.minP,
        seed: options.seed,
        yieldEogToken: options.keepEogToken === true,
        // never shift the context silently: a reply that runs out of room stops, so history stays what it was
        contextShift: {strategy: () => { throw new ContextFullSignal(); }}
    });
    try {
        for await (const {token, confidence} of iterator) {
            if (options.keepEogToken && model.isEogToken(token)) {
                // counted in the mean log-probability, as node-llama-cpp's chat counts its end-of-turn token
                logProbSum += Math.log(Math.max(confidence, Number.MIN_VALUE));
                eogToken = token;
                break;
            }
            tokens.push(token);
            meter.tokens();
            logProbSum += Math.log(Math.max(confidence, Number.MIN_VALUE));
            const chunk = detokenizer.push(token);
            if (chunk !== "") {
                text += chunk;
                options.onText?.(chunk);
            }
            if (options.signal?.aborted) { stopReason = "aborted"; break; }
            if (tokens.length >= maxTokens) {
                stopReason = maxTokens < options.maxTokens ? "contextFull" : "maxTokens";
                break;
            }
        }
    } catch (err) {
        if (!(err instanceof ContextFullSignal)) throw err;
        stopReason = "contextFull";
    }
    const rest = detokenizer.flush();
    if (rest !== "") {
        text += rest;
        options.onText?.(rest);
    }
    return {
        text, tokens, stopReason,
        tokensPerSecond: meter.tokensPerSecond(),
        meanLogProb: tokens.length + (eogToken != null ? 1 : 0) > 0 ? logProbSum / (tokens.length + (eogToken != null ? 1 : 0)) : undefined,
        ...(eogToken != null ? {eogToken} : {})
    };
}

class ContextFullSignal extends Error {}
