/**
 * Splits a reply being written into the finished lines not yet printed and the live rest. Pure, for useChat: Ink
 * re-measures every character of the live area on each render (and redraws the whole screen once it is taller than
 * the terminal), so finished lines go to <Static> and the live area keeps only the line being written.
 */
import {trailingTableStart} from "./markdown.js";

export type StreamSplit = {
    /** finished lines to print now (without the last line break), if any */
    finished?: string,
    /** how much of the buffer is printed after this */
    committed: number,
    /** what the live area shows */
    live: string
};

/** table rows a Markdown reply holds back at most (a longer table is printed in parts, each aligned on its own) */
export const HELD_TABLE_ROWS = 12;

/**
 * With `markdown` (a chat-mode reply, drawn as Markdown; `openFence`: the code fence open at `committed`), the rows of
 * a table still being written stay live until the table ends, so it is drawn aligned as a whole.
 */
export function splitStream(buffer: string, committed: number, markdown?: {openFence?: string}): StreamSplit {
    let lastBreak = buffer.lastIndexOf("\n");
    if (lastBreak < committed) return {committed, live: buffer.slice(committed)};
    if (markdown) {
        const finished = buffer.slice(committed, lastBreak);
        const table = trailingTableStart(finished, markdown.openFence);
        if (table != null && finished.slice(table).split("\n").length <= HELD_TABLE_ROWS) {
            if (table === 0) return {committed, live: buffer.slice(committed)};
            lastBreak = committed + table - 1;
        }
    }
    return {finished: buffer.slice(committed, lastBreak), committed: lastBreak + 1, live: buffer.slice(lastBreak + 1)};
}

/** the last `lines` lines of a text (a reply that stays live, e.g. a /compare candidate) */
export function tailLines(text: string, lines: number): string {
    return text.split("\n").slice(-lines).join("\n");
}
