/**
 * An in-memory Conversation for UI tests: it streams a scripted reply through onText with small awaits, can pause
 * mid-reply until released (so a test can look at the screen while a reply is being written), honours the
 * AbortSignal like the real one (stop, keep what was streamed, stopReason "aborted"), can fail mid-reply as a broken
 * generation does (throw after some chunks, the history left as it was), and records every call.
 */
import type {Conversation, ConversationMode, ConversationSnapshot, HistoryPolicy, ReevaluateResult, Reply, SendOptions} from "../../src/engine/conversation.js";
import {DEFAULT_SAMPLING, type SamplingOptions} from "../../src/engine/sampling.js";

/**
 * The pace of a model's tokens (chunkDelayMs apart): a reply takes time as a real one does, so the screen's flush
 * timer batches what arrived. No test's outcome waits on it: a test that looks mid-reply pauses the script
 * (pauseBefore) and waits for the frame; one that counts frames fakes the flush timer.
 */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export type FakeScript = {
    /** the reply's pieces, streamed one per onText call */
    chunks: string[],
    /** stop before streaming chunk N and wait for release() (or an abort) */
    pauseBefore?: number,
    /** throw this error after streaming N chunks (the exchange is not kept, as the real conversation keeps none) */
    failAfter?: {chunks: number, error: Error},
    stopReason?: Reply["stopReason"],
    tokensPerSecond?: number,
    meanLogProb?: number
};

export class FakeConversation implements Conversation {
    readonly sampling: SamplingOptions = {...DEFAULT_SAMPLING};
    readonly sent: string[] = [];
    readonly signals: (AbortSignal | undefined)[] = [];
    readonly systemPromptCalls: (string | undefined)[] = [];
    clearCalls = 0;
    forgetCalls = 0;
    reevaluateCalls = 0;
    historyPolicy: HistoryPolicy = "reeval";
    /** what contextUsage reports as evaluated under older steering (reevaluate() sets it to 0) */
    staleTokens = 0;
    disposed = false;
    used = 0;
    /** what the next send() does (a function gets the user text) */
    script: FakeScript | ((text: string) => FakeScript) = {chunks: ["Hello", " there", "!"]};
    chunkDelayMs = 5;
    /** called at the start of each send and reevaluate, as the real conversation calls its hook (steering: controller.applyStaged) */
    beforeTurn?: () => boolean;
    private system: string | undefined;
    private turns: {user: string, reply: string}[] = [];
    private releaseGate: (() => void) | undefined;

    constructor(readonly mode: ConversationMode = "raw", readonly size = 512) {}

    get systemPrompt() {
        return this.system;
    }

    setSystemPrompt(text: string | undefined) {
        this.systemPromptCalls.push(text);
        this.system = text || undefined;
    }

    /** lets a paused reply continue */
    release() {
        this.releaseGate?.();
    }

    get paused() {
        return this.releaseGate != null;
    }

    async send(userText: string, {signal, onText}: SendOptions = {}): Promise<Reply> {
        this.sent.push(userText);
        this.signals.push(signal);
        this.beforeTurn?.();
        const script = typeof this.script === "function" ? this.script(userText) : this.script;
        let text = "";
        let count = 0;
        let stopReason: Reply["stopReason"] = script.stopReason ?? "eos";
        for (const [i, chunk] of script.chunks.entries()) {
            if (i === script.failAfter?.chunks) throw script.failAfter.error;
            if (i === script.pauseBefore) await this.waitForReleaseOrAbort(signal);
            if (signal?.aborted) {
                stopReason = "aborted";
                break;
            }
            await sleep(this.chunkDelayMs);
            onText?.(chunk);
            text += chunk;
            count++;
        }
        if (script.failAfter != null && script.failAfter.chunks >= script.chunks.length && stopReason !== "aborted") throw script.failAfter.error;
        this.used += userText.length + count;
        this.turns.push({user: userText, reply: text});
        return {text, tokens: [], tokenCount: count, stopReason, tokensPerSecond: script.tokensPerSecond ?? 0,
            meanLogProb: script.meanLogProb};
    }

    private waitForReleaseOrAbort(signal: AbortSignal | undefined) {
        return new Promise<void>((resolve) => {
            const done = () => {
                this.releaseGate = undefined;
                signal?.removeEventListener("abort", done);
                resolve();
            };
            this.releaseGate = done;
            signal?.addEventListener("abort", done);
            if (signal?.aborted) done();
        });
    }

    async clear() {
        this.clearCalls++;
        this.turns = [];
        this.used = 0;
    }

    /** the exchanges it holds now, oldest first */
    history(): {user: string, reply: string}[] {
        return this.turns.map((t) => ({...t}));
    }

    lastUserText() {
        return this.turns.at(-1)?.user;
    }

    rewind() {
        return this.turns.pop()?.user;
    }

    snapshot(): ConversationSnapshot {
        return [...this.turns] as unknown as ConversationSnapshot;
    }

    restore(snapshot: ConversationSnapshot) {
        this.turns = [...(snapshot as unknown as {user: string, reply: string}[])];
    }

    async forgetEvaluation() {
        this.forgetCalls++;
    }

    /** holdEvaluation calls, and how each ended */
    readonly holds: ("held" | "restored" | "released")[] = [];

    async holdEvaluation() {
        const index = this.holds.push("held") - 1;
        return {
            restore: async () => { this.holds[index] = "restored"; },
            release: () => { this.holds[index] = "released"; }
        };
    }

    async reevaluate(
        {onProgress}: {signal?: AbortSignal, onProgress?: (done: number, total: number) => void} = {}): Promise<ReevaluateResult> {
        this.reevaluateCalls++;
        this.beforeTurn?.();
        const total = this.staleTokens;
        if (total > 0) onProgress?.(total, total);
        this.staleTokens = 0;
        return {evaluated: total, total, stopped: false};
    }

    contextUsage() {
        return {used: this.used, size: this.size, staleTokens: this.staleTokens};
    }

    dispose() {
        this.disposed = true;
    }
}
