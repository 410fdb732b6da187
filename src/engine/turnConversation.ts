/**
 * A conversation kept as its turns, made into tokens by a format: raw continuation, or chat through the model's
 * Jinja template as llama.cpp's chat builds it. Generation is token by token (generateTokens.ts), as llama.cpp's.
 */
import {type LlamaContextSequence, type LlamaModel, type Token} from "node-llama-cpp";
import {chatPromptTokens, type ChatMessage, type ChatReplyRecord, type ChatTemplate, type ChatTokenizer} from "./chatPrompt.js";
import {UserFacingError} from "../errors.js";
import {generateTokens, tokenizePrompt, type GenerateOptions, type GenerationResult} from "./generateTokens.js";
import type {SamplingOptions} from "./sampling.js";
import {ReplyMeter} from "./replyMeter.js";
import {BaseConversation, timingOf, type TurnStart} from "./baseConversation.js";
import {PromptTooLongError, type ConversationMode, type ConversationOptions, type ConversationSnapshot, type HistoryRecord,
    type Reply, type SendOptions} from "./conversationTypes.js";

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
export function rawFormat(model: LlamaModel): TurnFormat {
    return {
        mode: "raw", shifts: true, closesReplies: false,
        tokens(system, turns, next) {
            const transcript = turns.map((t, i) => (i > 0 ? "\n" : "") + t.user + t.reply).join("");
            const text = (system ? system + "\n" : "") + transcript + (next == null ? "" : (turns.length > 0 ? "\n" : "") + next);
            return text === "" ? [] : tokenizePrompt(model, text);
        }
    };
}

/** tokenizes chat text as llama.cpp's chat does: special tokens parsed, BOS added when asked and the vocabulary adds it */
function chatTokenizer(model: LlamaModel): ChatTokenizer<Token> {
    const bos = model.tokens.bos;
    return {
        tokenize(text, addSpecial) {
            const tokens = text === "" ? [] : model.tokenize(text, true);
            if (addSpecial && model.tokens.shouldPrependBosToken && bos != null) tokens.unshift(bos);
            return tokens;
        },
        endOfTurn: model.tokens.eot ?? model.tokens.eos
    };
}

/**
 * A whole conversation given at once (a server request's messages) rendered with the template, generation prompt
 * included, and tokenized in one piece, as llama-server does. An empty system message is left out, as the chat leaves
 * out an empty system prompt: one system message and one user message give the first turn's tokens of the chat
 * (chatPromptTokens), so a request equals `steer-chat ask` with that system prompt.
 */
export function templateConversationTokens(template: ChatTemplate, model: LlamaModel, messages: readonly ChatMessage[]): Token[] {
    const kept = messages.filter((m) => !(m.role === "system" && m.content === ""));
    return chatTokenizer(model).tokenize(template.render(kept, true), true);
}

/** chat through the model's Jinja template, tokenized as llama.cpp's chat tokenizes it */
export function templateFormat(template: ChatTemplate, model: LlamaModel): TurnFormat {
    const tokenizer = chatTokenizer(model);
    return {
        mode: "chat", shifts: true, closesReplies: true,
        tokens(system, turns, next) {
            const exchanges = turns.map(({user, reply, tokens, end, eogToken}) => ({user, reply: {text: reply, tokens, end, eogToken}}));
            return chatPromptTokens(template, tokenizer, system, next == null ? exchanges : [...exchanges, {user: next}]);
        }
    };
}


/**
 * A conversation kept as its turns (user message and reply, with the reply's tokens), turned into tokens by its
 * format: raw continuation, or chat through the model's Jinja template. Each turn evaluates only what the cache does
 * not hold yet, and generates token by token as llama.cpp does.
 */
export class TurnConversation extends BaseConversation {
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

    async send(userText: string, stream: SendOptions = {}): Promise<Reply> {
        const start = await this.startTurn();
        const meter = new ReplyMeter();
        const {tokens, droppedTurns} = this.promptTokens(userText);
        const {reply, result} = await this.answer(start, meter, tokens, this.sampling, stream, this.format.closesReplies);
        const end = result.stopReason === "eos" ? "eog" : result.stopReason === "aborted" ? "aborted" : "cut";
        this.turns.push({user: userText, reply: result.text, tokens: result.tokens, end,
            ...(result.eogToken != null ? {eogToken: result.eogToken} : {})});
        return {...reply, ...(droppedTurns > 0 ? {droppedTurns} : {})};
    }

    /**
     * A prompt given whole, as tokens (a server request, which brings its own conversation), answered with
     * `sampling` without becoming one of this conversation's turns. `fresh` (the default) clears the cache first, so
     * the prompt is evaluated as on a new context, in the batches `ask` evaluates it in; otherwise the cache keeps
     * what it shares with the prompt of what was evaluated under the current settings (the ledger), and only the rest
     * is evaluated. Its reply is generated as send's is; nothing is evaluated after it. `logprobs`: each token's
     * log-probabilities, as generateTokens gives them.
     */
    async complete(tokens: Token[], {sampling, fresh = true, logprobs, ...stream}: SendOptions & {sampling: SamplingOptions,
        fresh?: boolean, logprobs?: GenerateOptions["logprobs"]}): Promise<Reply> {
        const size = this.sequence.context.contextSize;
        if (tokens.length >= size) throw new PromptTooLongError(tokens.length, size, false);
        if (tokens.length === 0) throw new UserFacingError("The prompt is empty", "give some text to continue");
        if (fresh) await this.forgetEvaluation();
        const start = await this.startTurn();
        const meter = new ReplyMeter();
        return (await this.answer(start, meter, tokens, sampling, stream, false, logprobs)).reply;
    }

    /** Evaluates what the cache does not hold of `tokens` and generates the reply after them. */
    private async answer(start: TurnStart, meter: ReplyMeter, tokens: Token[], sampling: SamplingOptions,
        {signal, onText, onPrefill}: SendOptions, closesReplies: boolean,
        logprobs?: GenerateOptions["logprobs"]): Promise<{reply: Reply, result: GenerationResult}> {
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
            const schedule = this.generationSwitch(rest.length);
            const gate = this.generationGate(rest.length);
            try {
                result = await generateTokens(this.sequence, rest,
                    {...sampling, signal, onText, keepEogToken: closesReplies, meter, ...(schedule ? {switchAt: schedule.switchAt} : {}),
                        ...(gate ? {gate: gate.gate} : {}), ...(logprobs != null ? {logprobs} : {})});
            } catch (err) {
                // a failed gated reply may have been evaluated partly unsteered: all of it is recorded as mixed
                gate?.gated(1);
                throw err;
            }
            schedule?.switched(result.switched);
            gate?.gated(result.firstGateSwitch);
            if (closesReplies) await this.evaluateReplyEnd(result);
        } finally {
            history = this.finishTurn(start, kept);
        }
        const reply: Reply = {
            text: result.text, tokens: result.tokens, tokenCount: result.tokens.length, stopReason: result.stopReason,
            tokensPerSecond: result.tokensPerSecond, meanLogProb: result.meanLogProb, history, context,
            ...timingOf(meter.timing(tokens.length - kept))
        };
        return {reply, result};
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
        await this.clearCache();
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

    snapshot(): ConversationSnapshot {
        const turns = [...this.turns];
        this.windows.set(turns, this.windowStart);
        return turns as unknown as ConversationSnapshot;
    }

    restore(snapshot: ConversationSnapshot) {
        this.turns = [...(snapshot as unknown as Turn[])];
        this.windowStart = Math.min(this.windows.get(snapshot as object) ?? 0, this.turns.length);
    }
}

