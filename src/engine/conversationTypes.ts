/**
 * What a conversation is, seen from outside: its options, what a reply carries, and the interface every
 * conversation (turnConversation.ts, wrapperConversation.ts) implements. createConversation (conversation.ts) picks one.
 */
import type {Token} from "node-llama-cpp";
import type {ControlVectorBuffer} from "../native/loader.js";
import {UserFacingError} from "../errors.js";
import type {GenerationGate, StopReason} from "./generateTokens.js";
import type {HistoryPolicy, Progress} from "./historyCache.js";
import type {ReplyTiming} from "./replyMeter.js";
import type {SamplingOptions} from "./sampling.js";

export type {ReplyTiming};

declare const snapshotBrand: unique symbol;
/** A copy of the cache (holdEvaluation): put back with restore(), or let go with release(); either ends it. */
export type EvaluationHold = {restore(): Promise<void>, release(): void};

/** A conversation's history at one moment, for restore(); only the conversation that made it reads it. */
export type ConversationSnapshot = {readonly [snapshotBrand]: true};

export type ConversationMode = "chat" | "raw";
export {HISTORY_POLICIES, type HistoryPolicy} from "./historyCache.js";

/** How a reply's history was evaluated (for the transcript). */
export type HistoryRecord = {
    policy: HistoryPolicy,
    /** the settings changed before this reply and the history was evaluated again under them */
    reevaluated: boolean,
    /** tokens evaluated for this reply, its prompt and its own tokens (the rest came from the cache) */
    evaluatedTokens: number,
    /** tokens of the history the reply read that were evaluated under older settings (policy keep) */
    staleTokens: number
};

export type Reply = {
    text: string,
    /** the generated tokens */
    tokens: Token[],
    tokenCount: number,
    stopReason: StopReason,
    tokensPerSecond: number,
    /** mean log-probability of the reply's sampled tokens (undefined when none were sampled) */
    meanLogProb: number | undefined,
    history?: HistoryRecord,
    /** raw mode: the oldest exchanges dropped so the prompt left the reply room (the system text is kept) */
    droppedTurns?: number,
    /** as llama-cli prints them: time to the first token, and the prompt tokens evaluated for this reply in that time */
    timing?: ReplyTiming,
    /** the tokens the model had read before the reply's first token (history and prompt): what the gauge evaluates */
    context?: Token[]
};

/** A prompt that does not fit the context even without any history. */
export class PromptTooLongError extends UserFacingError {
    constructor(readonly promptTokens: number, readonly contextSize: number, withSystem: boolean) {
        super(`The prompt is ${promptTokens} tokens${withSystem ? " with the system text" : ""}, but the context holds ${contextSize}`,
            "shorten it, or give a larger --context-size");
        this.name = "PromptTooLongError";
    }
}

export type SendOptions = {
    signal?: AbortSignal,
    onText?: (chunk: string) => void,
    /** progress of evaluating a long stretch of history before the reply (more than one batch) */
    onPrefill?: Progress
};

export type ReevaluateResult = {evaluated: number, total: number, stopped: boolean};

export type ConversationOptions = {
    mode: ConversationMode,
    systemPrompt?: string,
    sampling?: Partial<SamplingOptions>,
    /**
     * Runs before each turn (and before /reeval). Returns true when the model's behaviour changed (e.g. new
     * steering): the history evaluated before is then stale, and the history policy says what happens to it.
     */
    beforeTurn?: () => Promise<boolean> | boolean,
    /**
     * Names the settings the model runs with now (e.g. the applied steering's signature), so a cached token is
     * stale only when it was evaluated under other settings (back to the old steering, the old cache is valid
     * again). Without it, every change reported by beforeTurn makes the whole cache stale.
     */
    settingsKey?: () => string,
    /** what a change does to the evaluated history (default reeval: exact; the chat's default is set by the CLI) */
    history?: HistoryPolicy,
    /** reply-only settings (the steering policy `reply`): the prompt and history under other settings than the reply */
    replySettings?: ReplySettings
};

/**
 * Settings that differ between the prompt and the reply (the reply-only steering policy): when active for a turn,
 * the history and the prompt are evaluated under the prompt's settings (no control vector), and the reply's settings
 * (the steering) are switched on from the last prompt token, whose logits give the first reply token.
 */
export type ReplySettings = {
    /** whether this turn steers only the reply (read once per turn, after beforeTurn) */
    active(): boolean,
    /** puts the prompt's settings in place */
    toPrompt(): void,
    /** puts the reply's settings (those settingsKey names) in place */
    toReply(): void,
    /** names the prompt's settings, as settingsKey names the reply's */
    promptKey(): string,
    /**
     * A switch inside the reply at an exact token boundary (a steering schedule), read once per turn after active():
     * once `after` reply tokens were generated, right before the last of them is decoded, the `to` settings are put
     * in place; `vector` is what the native generation loop applies there (null: none). `to: "reply"` on a turn that
     * is active() keeps the reply's settings off until then (from:N); `to: "prompt"` on one that is not ends them (first:N).
     */
    replySwitch?(): ReplySwitch | undefined,
    /**
     * A gate on the steering inside the reply (steer-code off), read once per turn after replySwitch(): a fresh one
     * for each reply. The conversation says whether the steering is on as generation starts.
     */
    replyGate?(): Omit<GenerationGate, "vectorOn"> | undefined
};

export type ReplySwitch = {after: number, to: "prompt" | "reply", vector: ControlVectorBuffer | null};

export interface Conversation {
    readonly mode: ConversationMode;
    readonly sampling: SamplingOptions;
    readonly systemPrompt: string | undefined;
    setSystemPrompt(text: string | undefined): void;
    send(userText: string, options?: SendOptions): Promise<Reply>;
    clear(): Promise<void>;
    /** the last user message, if any */
    lastUserText(): string | undefined;
    /** removes the last exchange (user message and reply) and returns its user message */
    rewind(): string | undefined;
    /** the history as it is now, to put back later with restore() (used to try alternatives without keeping them) */
    snapshot(): ConversationSnapshot;
    restore(snapshot: ConversationSnapshot): void;
    /** drops the cached evaluation (the history stays and is evaluated again next turn), e.g. after a trial steering */
    forgetEvaluation(): Promise<void>;
    /**
     * Keeps a copy of the cache as it is now (the KV state, in a temporary file, and its ledger), for trials that
     * evaluate the history under other steering or clear it (/compare, /sweep, /calibrate) under the keep policy:
     * `restore` puts it back, so the history stays as the policy left it instead of being evaluated again. Undefined
     * when the copy could not be made (a full disk): the caller forgets the evaluation instead.
     */
    holdEvaluation(): Promise<EvaluationHold | undefined>;
    /** what a change of settings does to the evaluated history; a change of policy applies from the next turn */
    historyPolicy: HistoryPolicy;
    /**
     * Applies the staged settings (beforeTurn) and evaluates the history again where it was evaluated under other
     * settings, in full batches, stopping between batches on the signal (what was evaluated is kept).
     */
    reevaluate(options?: {signal?: AbortSignal, onProgress?: Progress}): Promise<ReevaluateResult>;
    /**
     * Tokens the conversation takes in the context, the context's size, how many cached tokens were evaluated under
     * older settings, and (after forgetEvaluation, before the next turn) how many of the history's tokens are not in
     * the cache and will be evaluated again: `used` counts them, so a dropped cache does not read as an empty chat.
     */
    contextUsage(): {used: number, size: number, staleTokens: number, unevaluated?: number};
    dispose(): void;
    /** one-line notes for the user about how the conversation runs (e.g. a broken chat template replaced) */
    readonly notes?: readonly string[];
}

