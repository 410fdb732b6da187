/**
 * The token-by-token generation loop used for raw completion (and anything that must match llama.cpp exactly).
 *
 * Why not node-llama-cpp's LlamaCompletion: it tokenizes the prompt with "trimLeadingSpace" (via a BOS/newline
 * workaround) and re-uses whatever KV cache the sequence already holds, so on some inputs its prompt tokens differ
 * from what llama.cpp's own tools feed the model. Here the prompt is tokenized exactly as llama-completion does
 * (parse special tokens, add BOS when the model asks for it).
 *
 * Tokens come from the native helper's generation loop (decode and sample on a thread of its own, as llama.cpp's
 * tools do) where it can run, else from node-llama-cpp's `evaluateWithMetadata`; both sample with llama.cpp's
 * chain as node-llama-cpp builds it, so the same seed gives the same tokens either way.
 */
import {randomInt} from "node:crypto";
import type {LlamaContextSequence, LlamaModel, Token} from "node-llama-cpp";
import {nativeGeneratorFor} from "../native/generationLoop.js";
import type {ControlVectorBuffer} from "../native/loader.js";
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
    eogToken?: Token,
    /** the switch asked for (GenerateOptions.switchAt) was made: tokens from index `after` on were sampled under it */
    switched?: boolean,
    /** gated replies: how many times the gate switched the steering */
    gateSwitches?: number,
    /** gated replies: how many tokens were generated when the gate first switched the steering (the decode of the
     * last of them was under the new state); undefined when it never did */
    firstGateSwitch?: number
};

/**
 * A switch of the control vector at an exact token boundary (a steering schedule): once `after` tokens were generated,
 * right before the last of them is decoded (its logits give token `after` + 1, index `after`), `vector` is put on the
 * context (null: cleared). The native loop makes it between two decodes; node-llama-cpp's loop calls `apply`, which
 * puts the same steering on, between reading token `after` − 1 and asking for the next.
 */
/**
 * One generated token's log-probability in the model's distribution (a log-softmax of every logit, before the
 * sampler chain: no top-k, top-p or temperature), and the step's most probable tokens, most probable first.
 * `textEnd`: the reply's text length once this token's text was written (the detokenizer may hold a token's text back
 * until the next one completes a character; its text then counts for the later token).
 */
export type TokenLogprob = {token: Token, logprob: number, top: {token: Token, logprob: number}[], textEnd: number};

export type GenerationSwitch = {after: number, vector: ControlVectorBuffer | null, apply: () => void, to: "prompt" | "reply"};

/**
 * A gate on the steering inside the reply (`--steer-code off`): the steering acts on a decode only while the gate is
 * open after the text generated so far. The gate may change only after a token whose text holds one of
 * `pauseCharacters`; the native loop waits at such a token for the answer, so each switch is at an exact token
 * boundary (the decode of that token, whose logits give the next one, is under the new state).
 */
export type GenerationGate = {
    /** the steering put on while the gate is open (and the schedule, if any, has it on) */
    vector: ControlVectorBuffer,
    /** whether that steering is on the context as generation starts (false under from:N) */
    vectorOn: boolean,
    pauseCharacters: string,
    /** the reply's text grew by `chunk` */
    feed(chunk: string): void,
    /** whether the steering may act on the next decode */
    open(): boolean,
    /** puts the steering on (true) or clears it, on the context (node-llama-cpp's loop, and the end of the reply) */
    apply(on: boolean): void
};

export type GenerateOptions = SamplingOptions & {
    signal?: AbortSignal,
    onText?: (chunk: string) => void,
    /** report which end-of-generation token ended the reply (chat mode puts it in the history, as llama.cpp does) */
    keepEogToken?: boolean,
    /** the reply's clock, when the caller started it before the prompt phase (default: one started here) */
    meter?: ReplyMeter,
    /** a switch of the steering inside the reply (after ≥ 1) */
    switchAt?: GenerationSwitch,
    /** a gate on the steering inside the reply */
    gate?: GenerationGate,
    /** 0..20: each token's log-probability and the top N of its step, given to onLogprob before the token's text goes
     * to onText; undefined: none computed. Needs the native loop (an Error where it cannot run). */
    logprobs?: {top: number, onLogprob: (entry: TokenLogprob) => void}
};

const pauseMasks = new WeakMap<LlamaModel, Map<string, Uint8Array>>();

/** one entry per vocabulary token (`size` of them): 1 where the token's text holds one of `characters` (kept per model) */
export function tokenMaskOf(model: LlamaModel, size: number, characters: string): Uint8Array {
    let byModel = pauseMasks.get(model);
    if (byModel == null) pauseMasks.set(model, byModel = new Map());
    const known = byModel.get(characters);
    if (known != null && known.length === size) return known;
    const mask = new Uint8Array(size);
    for (let id = 0; id < size; id++) {
        const text = model.detokenize([id as Token], true);
        for (const ch of characters) if (text.includes(ch)) { mask[id] = 1; break; }
    }
    byModel.set(characters, mask);
    return mask;
}

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
    let switched = false;
    const gate = options.gate;
    /** the gate's last answer */
    let gateOpen = true;
    let gateSwitches = 0;
    let firstGateSwitch: number | undefined;
    /** whether the schedule has the steering on for the decode of the token at this count */
    const scheduleOnAt = (count: number) => (options.switchAt != null && count >= options.switchAt.after
        ? options.switchAt.to === "reply" : gate?.vectorOn ?? true);
    /** the gate's answers that changed it: from this count of tokens on, the gate was open or not */
    const gateChanges: {count: number, open: boolean}[] = [];
    const answerGate = (open: boolean) => {
        const count = tokens.length;
        if (open !== gateOpen) gateChanges.push({count, open});
        if (firstGateSwitch == null && scheduleOnAt(count) && open !== gateOpen) firstGateSwitch = count;
        gateOpen = open;
        return open;
    };
    const room = sequence.context.contextSize - sequence.nextTokenIndex - inputTokens.length;
    const maxTokens = Math.min(options.maxTokens, Math.max(0, room));

    if (options.signal?.aborted || maxTokens <= 0)
        return {text, tokens, stopReason: options.signal?.aborted ? "aborted" : "contextFull", tokensPerSecond: 0, meanLogProb: undefined};

    /** one generated token (not an end-of-generation one) and its probability (and log-probabilities when asked) */
    const take = (token: Token, confidence: number, logprob?: Omit<TokenLogprob, "textEnd">) => {
        tokens.push(token);
        meter.tokens();
        logProbSum += Math.log(Math.max(confidence, Number.MIN_VALUE));
        const chunk = detokenizer.push(token);
        if (logprob != null) options.logprobs?.onLogprob({...logprob, textEnd: text.length + chunk.length});
        if (chunk !== "") {
            text += chunk;
            gate?.feed(chunk);
            options.onText?.(chunk);
        }
    };
    /** the end-of-generation token that ended the reply: counted in the mean log-probability, as node-llama-cpp's
     * chat counts its end-of-turn token */
    const takeEog = (token: Token, confidence: number) => {
        logProbSum += Math.log(Math.max(confidence, Number.MIN_VALUE));
        eogToken = token;
    };

    // no seed: a random one for this reply (node-llama-cpp's own default, the time in seconds, gave two replies
    // started within the same second the same random stream: /compare's and /sweep's candidates among them)
    const sampling = {...options, seed: options.seed ?? randomInt(2 ** 32)};
    const native = inputTokens.length > 0 ? nativeGeneratorFor(sequence) : undefined;
    const asked = options.logprobs;
    if (asked != null && (native == null || !("generate" in native)))
        throw new Error(`Log-probabilities need the native generation loop, which cannot run here: ${native != null && "reason" in native ? native.reason : "no input"}`);
    try {
        await runLoop();
    } finally {
        // however the reply ended (done, stopped at a pause, failed), the steering is what the schedule has for what
        // follows: a reply stopped or failed while the gate had it off left it off (the controller thinks it applied)
        if (gate != null) gate.apply(options.switchAt != null && switched ? options.switchAt.to === "reply" : gate.vectorOn);
    }
    // from:N switching on while the gate was closed: the steering stayed off from there (the switch took effect later)
    const s = options.switchAt;
    if (gate != null && s != null && switched && s.to === "reply" && gateChanges.filter((c) => c.count <= s.after).at(-1)?.open === false)
        firstGateSwitch = Math.min(firstGateSwitch ?? s.after, s.after);
    const rest = detokenizer.flush();
    if (rest !== "") {
        text += rest;
        options.onText?.(rest);
    }
    const counted = tokens.length + (eogToken != null ? 1 : 0);
    return {
        text, tokens, stopReason,
        tokensPerSecond: meter.tokensPerSecond(),
        meanLogProb: counted > 0 ? logProbSum / counted : undefined,
        ...(eogToken != null ? {eogToken} : {}),
        ...(options.switchAt != null ? {switched} : {}),
        ...(gate != null ? {gateSwitches, ...(firstGateSwitch != null ? {firstGateSwitch} : {})} : {})
    };

    /** the native loop where it can run, else node-llama-cpp's, filling the reply's tokens, stop reason and switches */
    async function runLoop() {
        if (native != null && "generate" in native) {
            // the loop runs ahead of the JS thread: a stop takes effect at the token being read when it came, as in
            // node-llama-cpp's loop, and the tokens sampled past it are left out
            let stopped = false;
            const result = await native.generate(sequence, {
                input: inputTokens, maxTokens, sampling, signal: options.signal,
                ...(options.switchAt ? {switchAt: {after: options.switchAt.after, vector: options.switchAt.vector}} : {}),
                ...(gate ? {gate: {pauseMask: tokenMaskOf(model, native.vocabularySize, gate.pauseCharacters),
                    vector: gate.vector, vectorOn: gate.vectorOn}} : {}),
                ...(asked != null ? {topLogprobs: asked.top} : {}),
                onTokens(sampled, confidences, logprobs, topIds, topLogprobs, paused) {
                    for (let i = 0; i < sampled.length && !stopped; i++) {
                        const entry = asked != null && logprobs != null && topIds != null && topLogprobs != null ? {
                            token: sampled[i] as Token, logprob: logprobs[i]!,
                            top: Array.from({length: asked.top}, (_, k) => ({token: topIds[i * asked.top + k] as Token,
                                logprob: topLogprobs[i * asked.top + k]!}))
                        } : undefined;
                        take(sampled[i] as Token, confidences[i]!, entry);
                        stopped = options.signal?.aborted === true;
                    }
                    if (!paused || gate == null) return undefined;
                    // a stopped reply goes no further: its answer is not the gate's (the steering is put back at the end)
                    return stopped ? true : answerGate(gate.open());
                }
            });
            if (gate != null && result.gateSwitches == null)
                throw new Error("The native helper is older than this steer-chat (no steering gate): run `npm run build:native`");
            gateSwitches = result.gateSwitches ?? 0;
            if (result.error != null) throw new Error(`Generation failed: ${result.error}`);
            if (asked != null && result.logprobSteps == null)
                throw new Error("The native helper is older than this steer-chat (no log-probabilities): run `npm run build:native`");
            if (options.switchAt != null && result.switched == null)
                throw new Error("The native helper is older than this steer-chat (no steering schedules): run `npm run build:native`");
            switched = result.switched === true;
            // what the loop decoded past the stop leaves the cache, which then ends as node-llama-cpp's loop leaves it
            const pastStop = result.decodedGenerated - Math.max(0, tokens.length - 1);
            if (stopped && pastStop > 0)
                await sequence.eraseContextTokenRanges([{start: sequence.nextTokenIndex - pastStop, end: sequence.nextTokenIndex}]);
            if (!stopped && result.stopReason === "eos" && options.keepEogToken && result.eogToken != null)
                takeEog(result.eogToken as Token, result.eogConfidence ?? 0);
            stopReason = stopped || result.stopReason === "aborted" ? "aborted"
                : result.stopReason === "maxTokens" ? (maxTokens < options.maxTokens ? "contextFull" : "maxTokens") : "eos";
        } else {
            const s = options.switchAt;
            let scheduleOn = gate?.vectorOn ?? true;
            let vectorOn = scheduleOn;
            const plain = s == null && gate == null;
            stopReason = await nodeLlamaCppLoop(sequence, inputTokens, maxTokens, sampling, plain ? take : (token, confidence) => {
                take(token, confidence);
                // the iterator decodes this token when asked for the next one: the switch goes in between (not past the last)
                if (tokens.length >= maxTokens || options.signal?.aborted === true) return;
                if (s != null && tokens.length === s.after) {
                    s.apply();
                    switched = true;
                    vectorOn = scheduleOn = s.to === "reply";
                }
                if (gate == null) return;
                answerGate(gate.open());
                if ((scheduleOn && gateOpen) !== vectorOn) {
                    vectorOn = scheduleOn && gateOpen;
                    gate.apply(vectorOn);
                    gateSwitches++;
                }
            }, takeEog);
        }
    }
}

/**
 * node-llama-cpp's own loop (`evaluateWithMetadata`), where the native one cannot run: the same tokens, with two
 * trips through the JS thread per token.
 */
async function nodeLlamaCppLoop(sequence: LlamaContextSequence, inputTokens: Token[], maxTokens: number, options: GenerateOptions,
    take: (token: Token, confidence: number) => void, takeEog: (token: Token, confidence: number) => void): Promise<StopReason> {
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
    let count = 0;
    try {
        for await (const {token, confidence} of iterator) {
            if (options.keepEogToken && sequence.model.isEogToken(token)) {
                takeEog(token, confidence);
                return "eos";
            }
            take(token, confidence);
            count++;
            if (options.signal?.aborted) return "aborted";
            if (count >= maxTokens) return maxTokens < options.maxTokens ? "contextFull" : "maxTokens";
        }
    } catch (err) {
        if (!(err instanceof ContextFullSignal)) throw err;
        return "contextFull";
    }
    return "eos";
}

class ContextFullSignal extends Error {}
