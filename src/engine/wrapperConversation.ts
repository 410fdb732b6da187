/**
 * Chat through node-llama-cpp's chat wrappers (LlamaChatSession), for models without a Jinja chat template that
 * renders: node-llama-cpp builds the prompt and generates; this adds the hooks, the timings and reply-only steering.
 */
import {LlamaChatSession, type ChatHistoryItem, type LlamaContextSequence, type Token} from "node-llama-cpp";
import {chatWrapperFor} from "./chatTemplate.js";
import type {StopReason} from "./generateTokens.js";
import {commonPrefixLength, evaluateInBatches, type Progress} from "./historyCache.js";
import {ReplyMeter} from "./replyMeter.js";
import type {SamplingOptions} from "./sampling.js";
import {recordTokenConfidence, type ConfidenceRecorder} from "./tokenConfidence.js";
import {BaseConversation, timingOf} from "./baseConversation.js";
import {type ConversationOptions, type ConversationSnapshot, type HistoryRecord, type Reply,
    type SendOptions} from "./conversationTypes.js";

/** Chat through node-llama-cpp's chat wrappers, for models without a Jinja chat template that renders. */
export class ChatConversation extends BaseConversation {
    readonly mode = "chat" as const;
    private readonly session: LlamaChatSession;
    private readonly confidence: ConfidenceRecorder;
    /** what the user should know of how this conversation builds its prompts (a template not used, and why) */
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
        const meter = new ReplyMeter();
        let history: HistoryRecord;
        let reply: Reply;
        try {
            await this.prefillHistory(signal, onPrefill);
            reply = await this.prompt(userText, meter, signal, onText);
        } finally {
            history = this.finishTurn(start);
        }
        // node-llama-cpp does not say how much of the prompt it evaluated: the turn's evaluated tokens less the reply's
        const promptTokens = Math.max(0, history.evaluatedTokens - reply.tokenCount);
        return {...reply, history, ...timingOf(meter.timing(promptTokens))};
    }

    private async prompt(userText: string, meter: ReplyMeter, signal: AbortSignal | undefined, onText: SendOptions["onText"]): Promise<Reply> {
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
        let result;
        this.confidence.reset();
        this.confidence.splitNextEvaluate(this.replyOnly ? () => this.switchToReply() : undefined);
        try {
            result = await this.session.promptWithMeta(userText, {
                signal, stopOnAbortSignal: true,
                onTextChunk: onText,
                onToken: (chunk) => {
                    meter.tokens(chunk.length);
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
        const tokenCount = tokens.length;
        const stopReason: StopReason = result.stopReason === "abort" ? "aborted"
            : result.stopReason === "maxTokens" ? "maxTokens" : "eos";
        return {
            text: result.responseText, tokens, tokenCount, stopReason,
            tokensPerSecond: meter.tokensPerSecond(),
            // every token the session sampled, its end-of-turn token included
            meanLogProb: this.confidence.meanLogProb(),
            context: this.confidence.promptContext()
        };
    }

    async clear() {
        this.session.resetChatHistory();
        this.applySystemPrompt(); // the user's system prompt, or none (not node-llama-cpp's default)
        await this.clearCache();
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

    snapshot(): ConversationSnapshot {
        return structuredClone(this.session.getChatHistory()) as unknown as ConversationSnapshot;
    }

    restore(snapshot: ConversationSnapshot) {
        this.session.setChatHistory(structuredClone(snapshot as unknown as ChatHistoryItem[]));
    }
}

