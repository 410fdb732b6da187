/**
 * A conversation with the loaded model: chat mode (the model's own chat template through node-llama-cpp's chat
 * wrappers) or raw mode (plain text continuation for base models). Both stream text, stop on an AbortSignal keeping
 * what was written, and call a `beforeTurn` hook first, which is where staged steering changes get applied.
 */
import {LlamaChatSession, type ChatHistoryItem, type LlamaContextSequence, type Token} from "node-llama-cpp";
import type {LoadedModel} from "./runtime.js";
import {chatWrapperFor} from "./chatTemplate.js";
import {generateTokens, tokenizePrompt, type StopReason} from "./generateTokens.js";
import {DEFAULT_SAMPLING, type SamplingOptions} from "./sampling.js";
import {recordTokenConfidence, type ConfidenceRecorder} from "./tokenConfidence.js";

export type ConversationMode = "chat" | "raw";

export type Reply = {
    text: string,
    /** the generated tokens */
    tokens: Token[],
    tokenCount: number,
    stopReason: StopReason,
    tokensPerSecond: number,
    /** mean log-probability of the reply's sampled tokens (undefined when none were sampled) */
    meanLogProb: number | undefined
};

export type SendOptions = {
    signal?: AbortSignal,
    onText?: (chunk: string) => void
};

export type ConversationOptions = {
    mode: ConversationMode,
    systemPrompt?: string,
    sampling?: Partial<SamplingOptions>,
    /**
     * Runs before each turn. Returns true when the model's behaviour changed (e.g. new steering), so cached
     * evaluation of the history is dropped and the history is evaluated again under the new settings.
     */
    beforeTurn?: () => Promise<boolean> | boolean
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
    contextUsage(): {used: number, size: number};
    dispose(): void;
    /** one-line notes for the user about how the conversation runs (e.g. a broken chat template replaced) */
    readonly notes?: readonly string[];
}

export function createConversation(loaded: LoadedModel, options: ConversationOptions): Conversation {
    const sequence = loaded.context.getSequence();
    const sampling = {...DEFAULT_SAMPLING, ...stripUndefined(options.sampling ?? {})};
    return options.mode === "raw"
        ? new RawConversation(sequence, sampling, options)
        : new ChatConversation(sequence, sampling, options);
}

abstract class BaseConversation implements Conversation {
    abstract readonly mode: ConversationMode;
    protected system: string | undefined;

    constructor(protected readonly sequence: LlamaContextSequence, readonly sampling: SamplingOptions,
        protected readonly options: ConversationOptions) {
        this.system = options.systemPrompt || undefined;
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

    contextUsage() {
        return {used: this.sequence.nextTokenIndex, size: this.sequence.context.contextSize};
    }

    async forgetEvaluation() {
        await this.sequence.clearHistory();
    }

    /** Applies the beforeTurn hook; drops the cache when the hook says the model changed. */
    protected async prepareTurn() {
        const changed = await this.options.beforeTurn?.();
        if (changed) await this.sequence.clearHistory();
    }

    dispose() {
        this.sequence.dispose();
    }
}

/** Plain continuation: the transcript is one text; each user message is appended and the model continues it. */
class RawConversation extends BaseConversation {
    readonly mode = "raw" as const;
    private turns: {user: string, reply: string}[] = [];

    /** the text so far: each user message on a new line, followed by the model's continuation */
    private transcript() {
        return this.turns.map((t, i) => (i > 0 ? "\n" : "") + t.user + t.reply).join("");
    }

    async send(userText: string, {signal, onText}: SendOptions = {}): Promise<Reply> {
        await this.prepareTurn();
        const prefix = this.system ? this.system + "\n" : "";
        const promptText = prefix + this.transcript() + (this.turns.length > 0 ? "\n" : "") + userText;
        const tokens = tokenizePrompt(this.sequence.model, promptText);
        const toEvaluate = await reuseCachedPrefix(this.sequence, tokens);
        const result = await generateTokens(this.sequence, toEvaluate, {...this.sampling, signal, onText});
        this.turns.push({user: userText, reply: result.text});
        return {
            text: result.text, tokens: result.tokens, tokenCount: result.tokens.length, stopReason: result.stopReason,
            tokensPerSecond: result.tokensPerSecond, meanLogProb: result.meanLogProb
        };
    }

    async clear() {
        this.turns = [];
        await this.sequence.clearHistory();
    }

    lastUserText() {
        return this.turns.at(-1)?.user;
    }

    rewind() {
        return this.turns.pop()?.user;
    }

    snapshot() {
        return [...this.turns];
    }

    restore(snapshot: unknown) {
        this.turns = [...(snapshot as {user: string, reply: string}[])];
    }
}

/**
 * Keeps the part of the KV cache that matches the new prompt and returns the tokens still to evaluate
 * (always at least one, since generation needs logits for the last prompt token).
 */
async function reuseCachedPrefix(sequence: LlamaContextSequence, tokens: Token[]): Promise<Token[]> {
    const cached = sequence.contextTokens;
    let common = 0;
    while (common < cached.length && common < tokens.length - 1 && cached[common] === tokens[common]) common++;
    if (common < sequence.nextTokenIndex)
        await sequence.eraseContextTokenRanges([{start: common, end: sequence.nextTokenIndex}]);
    return tokens.slice(common);
}

/** Chat through the model's own template (node-llama-cpp resolves the chat wrapper from the GGUF). */
class ChatConversation extends BaseConversation {
    readonly mode = "chat" as const;
    private readonly session: LlamaChatSession;
    private readonly confidence: ConfidenceRecorder;
    /** true once /system changed the prompt; until then node-llama-cpp's own default applies (and survives /clear) */
    private systemChanged = false;
    readonly notes: readonly string[];

    constructor(sequence: LlamaContextSequence, sampling: SamplingOptions, options: ConversationOptions) {
        super(sequence, sampling, options);
        this.confidence = recordTokenConfidence(sequence);
        const {wrapper, warning} = chatWrapperFor(sequence.model);
        this.notes = warning != null ? [warning] : [];
        this.session = new LlamaChatSession({contextSequence: sequence, systemPrompt: options.systemPrompt, autoDisposeSequence: false, chatWrapper: wrapper});
    }

    override setSystemPrompt(text: string | undefined) {
        super.setSystemPrompt(text);
        this.systemChanged = true;
        this.applySystemPrompt();
    }

    private applySystemPrompt() {
        const history: ChatHistoryItem[] = this.session.getChatHistory().filter((item) => item.type !== "system");
        if (this.system != null) history.unshift({type: "system", text: this.system});
        this.session.setChatHistory(history);
    }

    async send(userText: string, {signal, onText}: SendOptions = {}): Promise<Reply> {
        await this.prepareTurn();
        const tokens: Token[] = [];
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
        try {
            result = await this.session.promptWithMeta(userText, {
            signal, stopOnAbortSignal: true,
            onTextChunk: onText,
            onToken: (chunk) => {
                const now = performance.now();
                if (tokens.length === 0) firstAt = now;
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
        }
        const seconds = (lastAt - firstAt) / 1000;
        const tokenCount = tokens.length;
        const stopReason: StopReason = result.stopReason === "abort" ? "aborted"
            : result.stopReason === "maxTokens" ? "maxTokens" : "eos";
        return {
            text: result.responseText, tokens, tokenCount, stopReason,
            tokensPerSecond: tokenCount > 1 && seconds > 0 ? (tokenCount - 1) / seconds : 0,
            // every token the session sampled, its end-of-turn token included
            meanLogProb: this.confidence.meanLogProb()
        };
    }

    async clear() {
        this.session.resetChatHistory(); // back to the initial history, default system prompt included
        if (this.systemChanged) this.applySystemPrompt();
        await this.sequence.clearHistory();
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
