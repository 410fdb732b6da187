/** What the chat screen's hook (useChat) takes and gives. */
import type {Reply} from "../engine/conversation.js";
import type {ChatMessage} from "./chatMessage.js";
import type {CoherenceGauge} from "../steering/coherence.js";
import type {ReplyReadout} from "../steering/replyReadout.js";

export type ChatOptions = {
    onExit: () => void,
    /** width for /compare and /sweep layouts */
    columns?: () => number,
    /** under reeval, how long after the last steering change the history starts to be evaluated again in the background */
    backgroundReevalMs?: number
};

/** a note said while a reply's lines were being printed: shown under it, then put in the transcript after it */
export type Aside = {text: string, role: "note" | "error"};

export type ChatState = {
    messages: ChatMessage[],
    /** notes waiting for the reply being written to end */
    asides: Aside[],
    streamingText: string,
    /** the streaming text is a chat-mode reply's line being written, drawn as Markdown (under this open code fence) */
    streamingMarkdown: {openFence?: string} | undefined,
    busy: boolean,
    /** what the busy job is doing, for the line above the prompt ("writing", "training"…) */
    busyLabel: string,
    /** prompts sent while busy, sent in order once the job ends */
    queued: string[],
    /** /compare or /sweep is running (panel edits would be overwritten by their trials, so the panel is closed) */
    trialRunning: boolean,
    lastReply: Reply | undefined,
    /** what the loaded vectors read on the last reply, once read */
    lastReadout: ReplyReadout | undefined,
    /** the last steered reply's KL from the unsteered model, repetition and perplexity, once measured */
    lastGauge: CoherenceGauge | undefined,
    /** staleTokens: cached tokens evaluated under older steering (history policy keep) */
    contextUsage: {used: number, size: number, staleTokens?: number, unevaluated?: number},
    submit(input: string): void,
    /** runs a slash command given as text (the panel's keys and pickers use this too) */
    command(input: string): void,
    note(text: string, role?: "note" | "error"): void,
    stop(): void
};
