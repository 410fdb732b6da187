/**
 * What the chat screen shows, in order: prompts, notes and errors with their text, and replies as references to the
 * session's transcript (src/session/turnLog.ts), never copies of their text. A reply being written is split into
 * lines as it comes: its finished lines are printed as "stream" parts (ranges of the session's draft) and its own
 * message shows the rest. Only the screen reads these.
 */
import type {Draft, ReplyEntry} from "../session/turnLog.js";

/** where a reply's own message starts, when its first lines were shown as they came */
export type ShownRest = {
    /** the offset in the reply's text where the part still to show starts */
    shownFrom?: number,
    /** chat mode (drawn as Markdown): the code fence open where that part starts (its opening line) */
    openFence?: string
};

export type ChatMessage =
    | {id: number, role: "user" | "note" | "error", text: string}
    /** a reply the session recorded (complete, stopped or failed) */
    | ({id: number, role: "assistant", reply: ReplyEntry} & ShownRest)
    /** finished lines of a reply being written: `draft.text` from `start` to `end`, shown once */
    | {id: number, role: "stream", draft: Draft, start: number, end: number, openFence?: string};

type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;
/** a message before the transcript gives it its id */
export type NewMessage = WithoutId<ChatMessage>;

/** the text a message shows: a reply's rest after its streamed lines, a stream part's range */
export function shownText(message: ChatMessage): string {
    if (message.role === "assistant") return message.reply.text.slice(message.shownFrom ?? 0);
    if (message.role === "stream") return message.draft.text.slice(message.start, message.end);
    return message.text;
}
