/**
 * What a slash command is: one object in one file under this folder, listed once in ./index.ts. `/help`, the help
 * overlay, the parser and the busy gate all read that table (as Gemini CLI's commands carry their own
 * isSafeConcurrent flag).
 */
import {UserFacingError} from "../../errors.js";
import type {ReplyReadout} from "../../steering/replyReadout.js";
import type {ChatSession, Outcome, Turn, TurnStream} from "../../session/chatSession.js";
import type {TrialKind} from "../../session/turnLog.js";
import type {Draft} from "../../session/turnLog.js";
import type {ShownRest} from "../chatMessage.js";

export type {ShownRest} from "../chatMessage.js";

/** What a busy chat is doing: a reply, a training (or a preset that trains), or /compare and /sweep trials. */
export type JobKind = "replying" | "training" | "trial";

/**
 * A live generation's streaming, and what it showed (a reply whose finished lines went to the transcript as they
 * came). Its text is the session's draft: the stream holds none of its own.
 */
export type LiveStream = TurnStream & {
    /** the part of the reply still to show in its own message, when finished lines were shown already */
    shown(): ShownRest,
    /** the session's draft this stream shows (undefined until the generation starts) */
    draft(): Draft | undefined
};

/** What a command may do to the chat around it. */
export type CommandContext = {
    session: ChatSession,
    note(text: string, role?: "note" | "error"): void,
    /** a /compare, /sweep or /calibrate result: shown, and kept in the session's transcript */
    record(text: string, trial: TrialKind): void,
    show(outcomes: Outcome | readonly Outcome[]): void,
    /**
     * Runs `work` as the chat's one job: the chat is busy with `label` meanwhile, Esc aborts `signal`, and an error
     * becomes a note.
     */
    runJob(kind: JobKind, label: string, work: (signal: AbortSignal) => Promise<void>): Promise<void>,
    /** streaming for one generation shown live; with `commitLines` its finished lines go to the transcript as they come */
    liveStream(signal: AbortSignal, options?: {commitLines?: boolean}): LiveStream,
    /** a reply the session recorded, shown (and its read-out and gauge measured) */
    addReply(turn: Turn, shown?: ShownRest): void,
    /** a line of progress where the reply would stream (training, evaluating the history) */
    progress(text: string): void,
    /** /clear: the status line forgets the last reply's figures */
    clearLastReply(): void,
    /** the context gauge again, after work that changed the cache */
    refreshUsage(): void,
    lastReadout(): ReplyReadout | undefined,
    /** width for side-by-side and table layouts */
    columns(): number,
    exit(): void,
    /** the command table, for /help */
    commands(): readonly SlashCommandSpec[]
};

export type SlashCommandSpec<K extends string = string, A extends object = object> = {
    /** the parsed command's kind, e.g. "vectorAdd" */
    kind: K,
    /** what is typed, lower case, one or two words: "/vector add", then aliases ("/vector remove") */
    names: readonly string[],
    /** the help line's left side, e.g. "/vector add NAME[:C]" */
    usage: string,
    help: string,
    /** it only stages or shows something, so it may run while a reply or a training is busy */
    safeWhileBusy: boolean,
    /** the words after the name (trimmed) to the command's arguments; throws a UsageError when they are wrong */
    parse(rest: string, name: string): A,
    run(args: A, context: CommandContext): Promise<void> | void
};

/** A command typed wrong: its message is the usage, shown as it is. */
export class UsageError extends UserFacingError {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

/** Declares a command with its argument type inferred from `parse`. */
export function defineCommand<const K extends string, A extends object>(spec: SlashCommandSpec<K, A>): SlashCommandSpec<K, A> {
    return spec;
}

export function words(text: string) {
    return text.split(/\s+/).filter((w) => w !== "");
}
