/**
 * A conversation with the loaded model: chat mode or raw mode (plain text continuation for base models). Chat mode
 * with a Jinja `tokenizer.chat_template` builds its prompt as llama.cpp's chat does (chatPrompt.ts); a model without
 * one (or whose template does not render) chats through node-llama-cpp's chat wrappers. Both stream text, stop on an AbortSignal keeping
 * what was written, and call a `beforeTurn` hook first, which is where staged steering changes get applied.
 *
 * The history is evaluated once and kept in the KV cache; each turn evaluates only what is new. A long stretch to
 * evaluate (a cold cache, or the history again after a steering change under the `reeval` policy) goes in full
 * batches with progress, and the signal stops it between batches.
 */
import {LlamaChatSession, type ChatHistoryItem, type LlamaContextSequence, type LlamaModel, type Token} from "node-llama-cpp";
import {UserFacingError} from "../errors.js";
import type {LoadedModel} from "./runtime.js";
import {chatPromptTokens, type ChatReplyRecord, type ChatTemplate, type ChatTokenizer} from "./chatPrompt.js";
import {chatWrapperFor, jinjaChatTemplateFor} from "./chatTemplate.js";
import {generateTokens, tokenizePrompt, type GenerationResult, type StopReason} from "./generateTokens.js";
import {commonPrefixLength, EvaluationLedger, evaluateInBatches, splitForPrefill, type HistoryPolicy, type Progress} from "./historyCache.js";
import {DEFAULT_SAMPLING, type SamplingOptions} from "./sampling.js";
import {recordTokenConfidence, type ConfidenceRecorder} from "./tokenConfidence.js";

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

export type ReplyTiming = {firstTokenSeconds: number, promptTokens: number, promptTokensPerSecond: number};

/** The prompt phase of a reply: from the start of the turn to its first token, over the prompt tokens evaluated. */
export function replyTiming(startedAt: number, firstTokenAt: number | undefined, promptTokens: number): ReplyTiming | undefined {
    if (firstTokenAt == null) return undefined;
    const firstTokenSeconds = Math.max(0, firstTokenAt - startedAt) / 1000;
    return {firstTokenSeconds, promptTokens, promptTokensPerSecond: firstTokenSeconds > 0 ? promptTokens / firstTokenSeconds : 0};
}

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
    promptKey(): string
};

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
    snapshot(): unknown;
    restore(snapshot: unknown): void;
    /** drops the cached evaluation (the history stays and is evaluated again next turn), e.g. after a trial steering */
    forgetEvaluation(): Promise<void>;
    /** what a change of settings does to the evaluated history; a change of policy applies from the next turn */
    historyPolicy: HistoryPolicy;
    /**
     * Applies the staged settings (beforeTurn) and evaluates the history again where it was evaluated under other
     * settings, in full batches, stopping between batches on the signal (what was evaluated is kept).
     */
    reevaluate(options?: {signal?: AbortSignal, onProgress?: Progress}): Promise<ReevaluateResult>;
    /** tokens in the cache, the context's size, and how many cached tokens were evaluated under older settings */
    contextUsage(): {used: number, size: number, staleTokens: number};
    dispose(): void;
    /** one-line notes for the user about how the conversation runs (e.g. a broken chat template replaced) */
    readonly notes?: readonly string[];
}

const timingOf = (timing: ReplyTiming | undefined) => (timing ? {timing} : {});

export function createConversation(loaded: LoadedModel, options: ConversationOptions): Conversation {
    const sequence = loaded.context.getSequence();
    const sampling = {...DEFAULT_SAMPLING, ...stripUndefined(options.sampling ?? {})};
    if (options.mode === "raw") return new TurnConversation(sequence, sampling, options, rawFormat(sequence.model));
    const {template, runaway} = jinjaChatTemplateFor(sequence.model);
    return template != null
        ? new TurnConversation(sequence, sampling, options, templateFormat(template, sequence.model))
        : new ChatConversation(sequence, sampling, options, runaway);
}

/** a user message and the reply: its text, its sampled tokens and how it ended (chat mode builds on them) */
type Turn = {user: string, reply: string, tokens: readonly Token[], end: ChatReplyRecord["end"], eogToken?: Token};

/** How a conversation of turns becomes the tokens the model reads. */
type TurnFormat = {
    readonly mode: ConversationMode,
    /** the turns' tokens, then `next` (a user message to answer) when given; [] for nothing */
    tokens(system: string | undefined, turns: readonly Turn[], next?: string): Token[],
    /** older turns may be left out of the prompt to make room for a reply (a context shift at turn boundaries) */
    readonly shifts: boolean,
    /** a reply's end-of-generation token is kept in the history, and its last token evaluated when it ends */
    readonly closesReplies: boolean
};

/** raw: the transcript is one text, each user message on a new line, followed by the model's continuation */
function rawFormat(model: LlamaModel): TurnFormat {
    return {
        mode: "raw", shifts: true, closesReplies: false,
        tokens(system, turns, next) {
            const transcript = turns.map((t, i) => (i > 0 ? "\n" : "") + t.user + t.reply).join("");
            const text = (system ? system + "\n" : "") + transcript + (next == null ? "" : (turns.length > 0 ? "\n" : "") + next);
            return text === "" ? [] : tokenizePrompt(model, text);
        }
    };
}

/** chat through the model's Jinja template, tokenized as llama.cpp's chat tokenizes it */
function templateFormat(template: ChatTemplate, model: LlamaModel): TurnFormat {
    const bos = model.tokens.bos;
    const tokenizer: ChatTokenizer<Token> = {
        tokenize(text, addSpecial) {
            const tokens = text === "" ? [] : model.tokenize(text, true);
            if (addSpecial && model.tokens.shouldPrependBosToken && bos != null) tokens.unshift(bos);
            return tokens;
        },
        endOfTurn: model.tokens.eot ?? model.tokens.eos
    };
    return {
        mode: "chat", shifts: true, closesReplies: true,
        tokens(system, turns, next) {
            const exchanges = turns.map(({user, reply, tokens, end, eogToken}) => ({user, reply: {text: reply, tokens, end, eogToken}}));
            return chatPromptTokens(template, tokenizer, system, next == null ? exchanges : [...exchanges, {user: next}]);
        }
    };
}

/** How a turn began: its policy, whether the history was dropped to be evaluated again, and the cache it began with. */
type TurnStart = {policy: HistoryPolicy, reevaluated: boolean, cached: Token[]};

abstract class BaseConversation implements Conversation {
    abstract readonly mode: ConversationMode;
    protected system: string | undefined;
    historyPolicy: HistoryPolicy;
    private readonly ledger = new EvaluationLedger();
    /** changes reported by beforeTurn: the settings key when no settingsKey hook is given */
    private changes = 0;
    /** reply-only: this turn evaluates its prompt under the prompt's settings */
    protected replyOnly = false;
    /** the context runs under the prompt's settings now (toPrompt was called, toReply not since) */
    private inPromptSettings = false;
    /** reply-only: the cache's length when the reply's settings were switched on this turn */
    private promptEnd: number | undefined;

    constructor(protected readonly sequence: LlamaContextSequence, readonly sampling: SamplingOptions,
        protected readonly options: ConversationOptions) {
        this.system = options.systemPrompt || undefined;
        this.historyPolicy = options.history ?? "reeval";
    }

    get systemPrompt() {
        return this.system;
    }

    setSystemPrompt(text: string | undefined) {
        this.system = text || undefined;
    }

    abstract send(userText: string, options?: SendOptions): Promise<Reply>;
    abstract clear(): Promise<void>;
    abstract lastUserText(): string | undefined;
    abstract rewind(): string | undefined;
    abstract snapshot(): unknown;
    abstract restore(snapshot: unknown): void;
    /** the history's tokens, as the next turn's prompt begins with them */
    protected abstract historyTokens(): Token[];

    contextUsage() {
        return {
            used: this.sequence.nextTokenIndex,
            size: this.sequence.context.contextSize,
            staleTokens: this.ledger.staleCount(this.historyKey())
        };
    }

    async forgetEvaluation() {
        await this.sequence.clearHistory();
        this.ledger.truncate(0);
    }

    async reevaluate({signal, onProgress}: {signal?: AbortSignal, onProgress?: Progress} = {}): Promise<ReevaluateResult> {
        await this.applySettings();
        await this.dropStale();
        const start: TurnStart = {policy: this.historyPolicy, reevaluated: true, cached: this.sequence.contextTokens};
        // the last token is left to the next turn: its prompt may tokenize differently where the text goes on
        const target = this.historyTokens().slice(0, -1);
        if (target.length >= this.sequence.context.contextSize)
            throw new Error(`The history (${target.length} tokens) does not fit the context (${this.sequence.context.contextSize}): /clear it`);
        let kept = 0;
        let evaluated = 0;
        try {
            kept = await this.alignCache(target);
            evaluated = await evaluateInBatches(this.sequence, target.slice(kept), {signal, onProgress});
        } finally {
            this.finishTurn(start, kept);
        }
        return {evaluated, total: target.length - kept, stopped: kept + evaluated < target.length};
    }

    dispose() {
        this.sequence.dispose();
    }

    private settingsKey() {
        return this.options.settingsKey?.() ?? `change ${this.changes}`;
    }

    /** the settings the history is evaluated under: the prompt's under reply-only, else the current ones */
    private historyKey() {
        return this.replyOnly ? this.options.replySettings!.promptKey() : this.settingsKey();
    }

    private async applySettings() {
        if (await this.options.beforeTurn?.()) this.changes++;
        const reply = this.options.replySettings;
        this.replyOnly = reply?.active() ?? false;
        this.promptEnd = undefined;
        if (this.replyOnly) {
            reply!.toPrompt();
            this.inPromptSettings = true;
        } else if (this.inPromptSettings) {
            // a reply-only turn that stopped before its reply, then the policy changed: back to the steering
            reply!.toReply();
            this.inPromptSettings = false;
        }
    }

    /** Reply-only: switches the reply's settings on; the tokens cached so far were evaluated under the prompt's. */
    protected switchToReply() {
        this.promptEnd = this.sequence.nextTokenIndex;
        this.options.replySettings!.toReply();
        this.inPromptSettings = false;
    }

    /** Drops the cache from its first token evaluated under other settings; returns how many tokens went. */
    private async dropStale(): Promise<number> {
        const keep = this.ledger.firstStale(this.historyKey());
        const dropped = this.sequence.nextTokenIndex - keep;
        if (dropped > 0) await this.sequence.eraseContextTokenRanges([{start: keep, end: this.sequence.nextTokenIndex}]);
        this.ledger.truncate(keep);
        return dropped;
    }

    /** Applies staged settings; under reeval, drops what was evaluated under other settings. */
    protected async startTurn(): Promise<TurnStart> {
        await this.applySettings();
        const policy = this.historyPolicy;
        const reevaluated = policy === "reeval" && (await this.dropStale()) > 0;
        return {policy, reevaluated, cached: this.sequence.contextTokens};
    }

    /**
     * Records what a turn left in the cache: past the `kept` prefix of what it began with, tokens were evaluated
     * under the current settings. Returns the turn's record.
     */
    protected finishTurn(start: TurnStart, kept = commonPrefixLength(start.cached, this.sequence.contextTokens)): HistoryRecord {
        const now = this.sequence.nextTokenIndex;
        const key = this.settingsKey();
        this.ledger.truncate(Math.min(kept, now));
        const staleTokens = this.ledger.staleCount(this.historyKey());
        // reply-only: what was evaluated before the switch is under the prompt's settings, the rest under the reply's
        const promptKey = this.options.replySettings?.promptKey();
        if (this.promptEnd != null) this.ledger.extend(Math.min(this.promptEnd, now), promptKey!);
        this.ledger.extend(now, this.inPromptSettings ? promptKey! : key);
        this.promptEnd = undefined;
        return {policy: start.policy, reevaluated: start.reevaluated, evaluatedTokens: now - Math.min(kept, now), staleTokens};
    }

    /**
     * Keeps the cache's prefix shared with `tokens` (at most `limit` tokens) and drops the rest; returns the kept
     * length.
     */
    protected async alignCache(tokens: readonly Token[], limit = tokens.length): Promise<number> {
        const common = Math.min(commonPrefixLength(this.sequence.contextTokens, tokens), limit);
        if (common < this.sequence.nextTokenIndex)
            await this.sequence.eraseContextTokenRanges([{start: common, end: this.sequence.nextTokenIndex}]);
        return common;
    }

    /**
     * Reply-only: evaluates all of the prompt but its last token under the prompt's settings (in full batches, with
     * progress, stopping on the signal) and switches the reply's settings on; returns the rest, for generation.
     */
    protected async promptUnderPromptSettings(tokens: Token[], signal?: AbortSignal, onProgress?: Progress): Promise<Token[]> {
        if (this.sequence.nextTokenIndex + tokens.length >= this.sequence.context.contextSize) return tokens; // generation reports it full
        const head = tokens.slice(0, -1);
        const done = await evaluateInBatches(this.sequence, head, {signal,
            onProgress: onProgress && head.length > this.sequence.context.batchSize
                ? (d) => onProgress(d, tokens.length) : undefined});
        if (done < head.length) return tokens.slice(done); // stopped: generation stops at once on the aborted signal
        this.switchToReply();
        return tokens.slice(-1);
    }

    /**
     * A prompt longer than one batch: evaluates all but its last batch ahead, in full batches with progress,
     * stopping on the signal; returns the rest, for generation (which stops at once on an aborted signal).
     */
    protected async prefillHead(tokens: Token[], signal?: AbortSignal, onProgress?: Progress): Promise<Token[]> {
        const {head} = splitForPrefill(tokens.length, this.sequence.context.batchSize);
        // a prompt that does not fit is left to generation, which reports the context as full
        if (head === 0 || this.sequence.nextTokenIndex + tokens.length >= this.sequence.context.contextSize) return tokens;
        const done = await evaluateInBatches(this.sequence, tokens.slice(0, head),
            {signal, onProgress: onProgress && ((d) => onProgress(d, tokens.length))});
        return tokens.slice(done);
    }
}

/**
 * A conversation kept as its turns (user message and reply, with the reply's tokens), turned into tokens by its
 * format: raw continuation, or chat through the model's Jinja template. Each turn evaluates only what the cache does
 * not hold yet, and generates token by token as llama.cpp does.
 */
class TurnConversation extends BaseConversation {
    readonly mode: ConversationMode;
    private turns: Turn[] = [];
    /** chat: the turns before this one are left out of the prompt (shifted out of the context) */
    private windowStart = 0;

    constructor(sequence: LlamaContextSequence, sampling: SamplingOptions, options: ConversationOptions,
        private readonly format: TurnFormat) {
        super(sequence, sampling, options);
        this.mode = format.mode;
    }

    protected historyTokens(): Token[] {
        return this.format.tokens(this.system, this.turns.slice(this.windowStart));
    }

    /**
     * The prompt for the next user message. A prompt that would leave less room for the reply than min(max tokens, a
     * quarter of the context) leaves out its oldest turns, one at a time, until it fits (the system prompt stays): the
     * context shift, at turn boundaries so a chat template stays whole. A prompt that cannot fit even alone is refused.
     */
    private promptTokens(userText: string): {tokens: Token[], droppedTurns: number} {
        let start = this.windowStart;
        let tokens = this.format.tokens(this.system, this.turns.slice(start), userText);
        const size = this.sequence.context.contextSize;
        const room = Math.max(1, Math.min(this.sampling.maxTokens, Math.floor(size / 4)));
        while (this.format.shifts && tokens.length + room > size && start < this.turns.length)
            tokens = this.format.tokens(this.system, this.turns.slice(++start), userText);
        // refused, the history stays as it was
        if (tokens.length >= size) throw new PromptTooLongError(tokens.length, size, this.system != null);
        const droppedTurns = start - this.windowStart;
        this.windowStart = start;
        return {tokens, droppedTurns};
    }

    async send(userText: string, {signal, onText, onPrefill}: SendOptions = {}): Promise<Reply> {
        const start = await this.startTurn();
        const startedAt = performance.now();
        const {tokens, droppedTurns} = this.promptTokens(userText);
        let kept = 0;
        let history: HistoryRecord;
        let result;
        let context: Token[];
        try {
            // generation needs logits for the last prompt token, so at least that one is evaluated
            kept = await this.alignCache(tokens, tokens.length - 1);
            const rest = this.replyOnly ? await this.promptUnderPromptSettings(tokens.slice(kept), signal, onPrefill)
                : await this.prefillHead(tokens.slice(kept), signal, onPrefill);
            context = [...this.sequence.contextTokens, ...rest];
            result = await generateTokens(this.sequence, rest, {...this.sampling, signal, onText, keepEogToken: this.format.closesReplies});
            if (this.format.closesReplies) await this.evaluateReplyEnd(result);
        } finally {
            history = this.finishTurn(start, kept);
        }
        const end = result.stopReason === "eos" ? "eog" : result.stopReason === "aborted" ? "aborted" : "cut";
        this.turns.push({user: userText, reply: result.text, tokens: result.tokens, end,
            ...(result.eogToken != null ? {eogToken: result.eogToken} : {})});
        return {
            text: result.text, tokens: result.tokens, tokenCount: result.tokens.length, stopReason: result.stopReason,
            tokensPerSecond: result.tokensPerSecond, meanLogProb: result.meanLogProb, history, context,
            ...(droppedTurns > 0 ? {droppedTurns} : {}),
            ...timingOf(replyTiming(startedAt, result.firstTokenAt, tokens.length - kept))
        };
    }

    /**
     * Evaluates the reply's last sampled token (its end-of-generation token, or its last token when cut or stopped)
     * on its own, as llama-completion does before it reads the next message: the next message is then one batch of
     * its own, so its logits are computed as llama.cpp computes them, not only to within rounding.
     */
    private async evaluateReplyEnd(result: GenerationResult) {
        const last = result.stopReason === "eos" ? result.eogToken
            : result.stopReason === "maxTokens" || result.stopReason === "aborted" ? result.tokens.at(-1) : undefined;
        if (last == null || this.sequence.nextTokenIndex + 1 >= this.sequence.context.contextSize) return;
        await this.sequence.evaluateWithoutGeneratingNewTokens([last]);
    }

    async clear() {
        this.turns = [];
        this.windowStart = 0;
        await this.forgetEvaluation();
    }

    lastUserText() {
        return this.turns.at(-1)?.user;
    }

    rewind() {
        const text = this.turns.pop()?.user;
        this.windowStart = Math.min(this.windowStart, this.turns.length);
        return text;
    }

    /** the turns ({user, reply, …}[]); the context window each snapshot had, to restore it with */
    private readonly windows = new WeakMap<object, number>();

    snapshot() {
        const turns = [...this.turns];
        this.windows.set(turns, this.windowStart);
        return turns;
    }

    restore(snapshot: unknown) {
        this.turns = [...(snapshot as Turn[])];
        this.windowStart = Math.min(this.windows.get(snapshot as object) ?? 0, this.turns.length);
    }
}

/** Chat through node-llama-cpp's chat wrappers, for models without a Jinja chat template that renders. */
class ChatConversation extends BaseConversation {
    readonly mode = "chat" as const;
    private readonly session: LlamaChatSession;
    private readonly confidence: ConfidenceRecorder;
    /** when the last reply's first token came */
    private firstTokenAt: number | undefined;
    readonly notes: readonly string[];

    /** `runaway`: why the model's template is not used at all (it did not render within the probe's bounds) */
    constructor(sequence: LlamaContextSequence, sampling: SamplingOptions, options: ConversationOptions, runaway?: string) {
        super(sequence, sampling, options);
        this.confidence = recordTokenConfidence(sequence);
        const {wrapper, warning} = chatWrapperFor(sequence.model, {runaway});
        this.notes = warning != null ? [warning] : [];
        this.session = new LlamaChatSession({contextSequence: sequence, systemPrompt: options.systemPrompt, autoDisposeSequence: false,
            chatWrapper: wrapper});
        // no default system prompt, as llama.cpp's chat adds none: node-llama-cpp's own is some 190 tokens, which a
        // small context cannot hold
        this.applySystemPrompt();
    }

    override setSystemPrompt(text: string | undefined) {
        super.setSystemPrompt(text);
        this.applySystemPrompt();
    }

    private applySystemPrompt() {
        const history: ChatHistoryItem[] = this.session.getChatHistory().filter((item) => item.type !== "system");
        if (this.system != null) history.unshift({type: "system", text: this.system});
        this.session.setChatHistory(history);
    }

    /** the history through the chat template, tokenized as node-llama-cpp's LlamaChat does */
    protected historyTokens(): Token[] {
        const {contextText} = this.session.chatWrapper.generateContextState({chatHistory: this.session.getChatHistory()});
        return contextText.tokenize(this.sequence.model.tokenizer);
    }

    /**
     * When more than a batch of the history is not in the cache (a new or cleared cache, or dropped after a change),
     * evaluates it ahead in full batches with progress, so it can be stopped; LlamaChat then goes on from there.
     */
    private async prefillHistory(signal?: AbortSignal, onProgress?: Progress) {
        const target = this.historyTokens().slice(0, -1);
        const cached = commonPrefixLength(this.sequence.contextTokens, target);
        // a history near the context's size is left to LlamaChat, which may shift it to make room
        if (target.length - cached <= this.sequence.context.batchSize || target.length + 1 >= this.sequence.context.contextSize) return;
        const kept = await this.alignCache(target);
        await evaluateInBatches(this.sequence, target.slice(kept), {signal, onProgress});
    }

    async send(userText: string, {signal, onText, onPrefill}: SendOptions = {}): Promise<Reply> {
        const start = await this.startTurn();
        const startedAt = performance.now();
        let history: HistoryRecord;
        let reply: Reply;
        try {
            await this.prefillHistory(signal, onPrefill);
            reply = await this.prompt(userText, signal, onText);
        } finally {
            history = this.finishTurn(start);
        }
        // node-llama-cpp does not say how much of the prompt it evaluated: the turn's evaluated tokens less the reply's
        const promptTokens = Math.max(0, history.evaluatedTokens - reply.tokenCount);
        return {...reply, history, ...timingOf(replyTiming(startedAt, this.firstTokenAt, promptTokens))};
    }

    private async prompt(userText: string, signal: AbortSignal | undefined, onText: SendOptions["onText"]): Promise<Reply> {
        const tokens: Token[] = [];
        this.firstTokenAt = undefined;
        const aborted = (): Reply => {
            // as in raw mode, the prompt stays in the history with an empty reply, so the history matches the screen
            const history = this.session.getChatHistory();
            const last = history.at(-1);
            const withUser = last?.type === "user" && last.text === userText ? history : [...history, {type: "user" as const, text: userText}];
            this.session.setChatHistory([...withUser, {type: "model", response: []}]);
            return {text: "", tokens: [], tokenCount: 0, stopReason: "aborted", tokensPerSecond: 0, meanLogProb: undefined};
        };
        // node-llama-cpp's stopOnAbortSignal only applies once generation runs; before that it throws instead
        if (signal?.aborted) return aborted();
        let firstAt = 0;
        let lastAt = 0;
        let result;
        this.confidence.reset();
        this.confidence.splitNextEvaluate(this.replyOnly ? () => this.switchToReply() : undefined);
        try {
            result = await this.session.promptWithMeta(userText, {
                signal, stopOnAbortSignal: true,
                onTextChunk: onText,
                onToken: (chunk) => {
                    const now = performance.now();
                    if (tokens.length === 0) firstAt = this.firstTokenAt = now;
                    lastAt = now;
                    tokens.push(...chunk);
                },
                maxTokens: this.sampling.maxTokens,
                temperature: this.sampling.temperature,
                topK: this.sampling.topK,
                topP: this.sampling.topP,
                minP: this.sampling.minP,
                seed: this.sampling.seed
            });
        } catch (err) {
            if (signal?.aborted && tokens.length === 0) return aborted();
            throw err;
        } finally {
            this.confidence.splitNextEvaluate(undefined);
        }
        const seconds = (lastAt - firstAt) / 1000;
        const tokenCount = tokens.length;
        const stopReason: StopReason = result.stopReason === "abort" ? "aborted"
            : result.stopReason === "maxTokens" ? "maxTokens" : "eos";
        return {
            text: result.responseText, tokens, tokenCount, stopReason,
            tokensPerSecond: tokenCount > 1 && seconds > 0 ? (tokenCount - 1) / seconds : 0,
            // every token the session sampled, its end-of-turn token included
            meanLogProb: this.confidence.meanLogProb(),
            context: this.confidence.promptContext()
        };
    }

    async clear() {
        this.session.resetChatHistory();
        this.applySystemPrompt(); // the user's system prompt, or none (not node-llama-cpp's default)
        await this.forgetEvaluation();
    }

    lastUserText() {
        const history = this.session.getChatHistory();
        for (let i = history.length - 1; i >= 0; i--) {
            const item = history[i]!;
            if (item.type === "user") return item.text;
        }
        return undefined;
    }

    rewind() {
        const history = this.session.getChatHistory();
        const lastUser = history.map((item) => item.type).lastIndexOf("user");
        if (lastUser < 0) return undefined;
        const text = (history[lastUser] as {text: string}).text;
        this.session.setChatHistory(history.slice(0, lastUser));
        return text;
    }

    snapshot() {
        return structuredClone(this.session.getChatHistory());
    }

    restore(snapshot: unknown) {
        this.session.setChatHistory(structuredClone(snapshot as ChatHistoryItem[]));
    }
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
    return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
