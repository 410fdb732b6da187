/**
 * What every conversation shares: the hooks that apply staged settings before a turn, the per-token ledger of the
 * settings each cached token was evaluated under (the history policy), reply-only steering's switch, and the cache
 * helpers (align, prefill in full batches).
 */
import {mkdtempSync, rmSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {type LlamaContextSequence, type Token} from "node-llama-cpp";
import {commonPrefixLength, EvaluationLedger, evaluateInBatches, splitForPrefill, type HistoryPolicy, type Progress} from "./historyCache.js";
import type {SamplingOptions} from "./sampling.js";
import type {Conversation, ConversationMode, ConversationOptions, ConversationSnapshot, EvaluationHold, HistoryRecord, ReevaluateResult,
    Reply, ReplySwitch, ReplyTiming, SendOptions} from "./conversationTypes.js";
import type {GenerationGate, GenerationSwitch} from "./generateTokens.js";

/** the ledger's key for tokens evaluated after a gate (steer-code off) switched the steering inside a reply: mixed
 * settings, stale under any steering, so reeval evaluates them again */
const GATED_KEY = "steering gate";

/** a reply's timing, as a field to spread into it */
export const timingOf = (timing: ReplyTiming | undefined) => (timing ? {timing} : {});

/** How a turn began: its policy, whether the history was dropped to be evaluated again, and the cache it began with. */
export type TurnStart = {policy: HistoryPolicy, reevaluated: boolean, cached: Token[]};

export abstract class BaseConversation implements Conversation {
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
    /** a schedule (first:N): the cache's length when the reply's settings were switched off this turn */
    private replyEnd: number | undefined;
    /** a gate's first switch this turn: the cache from this length on was evaluated under mixed settings */
    private gatedFrom: number | undefined;
    /** this turn's switch inside the reply (a schedule), read with active() */
    protected replySwitch: ReplySwitch | undefined;
    /** the cache was dropped (forgetEvaluation) and no turn has started since: the history is to be evaluated again */
    private forgotten = false;

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
    abstract snapshot(): ConversationSnapshot;
    abstract restore(snapshot: ConversationSnapshot): void;
    /** the history's tokens, as the next turn's prompt begins with them */
    protected abstract historyTokens(): Token[];

    contextUsage() {
        const cached = this.sequence.nextTokenIndex;
        const size = this.sequence.context.contextSize;
        // reply-only: past replies evaluated under the current steering are as the policy made them, not older
        // steering (reeval evaluates them again unsteered at the next turn, as it would any reply)
        const staleTokens = this.replyOnly ? this.ledger.countFromOther([this.options.replySettings!.promptKey(), this.settingsKey()])
            : this.ledger.staleCount(this.historyKey());
        if (!this.forgotten) return {used: cached, size, staleTokens};
        // the history is tokenized only here, once the cache was dropped and until the next turn starts
        const history = this.historyTokens().length;
        return {used: Math.max(cached, history), size, staleTokens, unevaluated: Math.max(0, history - cached)};
    }

    async forgetEvaluation() {
        await this.clearCache();
        this.forgotten = true;
    }

    async holdEvaluation(): Promise<EvaluationHold | undefined> {
        const folder = mkdtempSync(path.join(os.tmpdir(), "steer-chat-hold-"));
        const release = () => rmSync(folder, {recursive: true, force: true});
        // node-llama-cpp writes the state itself (llama_state_seq_save_file) into a folder only this process made
        const file = path.join(folder, "sequence.state");
        try {
            await this.sequence.saveStateToFile(file);
        } catch {
            release();
            return undefined;
        }
        const ledger = this.ledger.copy();
        const forgotten = this.forgotten;
        return {
            restore: async () => {
                try {
                    // the same model and context (this conversation's own sequence), so the state fits it
                    await this.sequence.loadStateFromFile(file, {acceptRisk: true});
                    this.ledger.restore(ledger);
                    this.forgotten = forgotten;
                } catch {
                    await this.forgetEvaluation();
                } finally {
                    release();
                }
            },
            release
        };
    }

    /** empties the cache and its ledger (clear(): the history goes too, so nothing is left to evaluate again) */
    protected async clearCache() {
        await this.sequence.clearHistory();
        this.ledger.truncate(0);
        this.forgotten = false;
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
        this.forgotten = false; // the turn (or reevaluate) evaluates the history from here on: the cache says how much
        if (await this.options.beforeTurn?.()) this.changes++;
        const reply = this.options.replySettings;
        this.replyOnly = reply?.active() ?? false;
        this.replySwitch = reply?.replySwitch?.();
        // a switch to the prompt's settings needs the reply's on first; one to the reply's, the prompt's
        if (this.replySwitch != null && (this.replySwitch.to === "reply") !== this.replyOnly) this.replySwitch = undefined;
        this.promptEnd = undefined;
        this.replyEnd = undefined;
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

    /**
     * A schedule's switch for generateTokens, whose input (`inputLength` tokens) begins at the cache's end now; after
     * generation, switched() records where it happened. Undefined when this turn has none.
     */
    protected generationSwitch(inputLength: number): {switchAt: GenerationSwitch, switched(made: boolean | undefined): void} | undefined {
        const s = this.replySwitch;
        if (s == null || s.after < 1) return undefined;
        const reply = this.options.replySettings!;
        // the switch comes right before decoding generated token `after` − 1, at this position
        const at = this.sequence.nextTokenIndex + inputLength + s.after - 1;
        return {
            switchAt: {after: s.after, vector: s.vector, to: s.to, apply: () => (s.to === "prompt" ? reply.toPrompt() : reply.toReply())},
            switched: (made) => {
                if (made !== true) return;
                if (s.to === "reply") this.promptEnd = at;
                else this.replyEnd = at;
                this.inPromptSettings = s.to === "prompt";
            }
        };
    }

    /**
     * This turn's gate on the steering inside the reply (steer-code off) for generateTokens, whose input
     * (`inputLength` tokens) begins at the cache's end now; after generation, gated() records where it first switched.
     */
    protected generationGate(inputLength: number): {gate: GenerationGate, gated(firstSwitch: number | undefined): void} | undefined {
        const gate = this.options.replySettings?.replyGate?.();
        if (gate == null) return undefined;
        const start = this.sequence.nextTokenIndex + inputLength;
        // from:N has the steering off until its switch; every other turn starts the reply with it on
        return {gate: {...gate, vectorOn: this.replySwitch?.to !== "reply"},
            gated: (first) => { if (first != null) this.gatedFrom = start + first - 1; }};
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
        // a gate's switches: from the first one on, the reply's tokens were evaluated under mixed settings
        const end = Math.min(this.gatedFrom ?? now, now);
        if (this.promptEnd != null) this.ledger.extend(Math.min(this.promptEnd, end), promptKey!);
        // a schedule (first:N): what was evaluated before its switch is under the reply's settings, the rest the prompt's
        if (this.replyEnd != null) this.ledger.extend(Math.min(this.replyEnd, end), key);
        this.ledger.extend(end, this.inPromptSettings ? promptKey! : key);
        this.ledger.extend(now, GATED_KEY);
        this.promptEnd = undefined;
        this.replyEnd = undefined;
        this.gatedFrom = undefined;
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
        // from:N: the reply's settings come on inside the reply, at the schedule's switch
        if (this.replySwitch?.to !== "reply") this.switchToReply();
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

