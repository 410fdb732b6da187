/**
 * The prompt's text laid out in terminal rows: wrapped at the width by display width (CJK and emoji take two
 * columns, a grapheme is never cut), a row per line of a multi-line prompt, and the cursor placed in its row. A long
 * paste shows only the rows around the cursor, so the live area never outgrows the screen.
 */
import {eachGrapheme, graphemeWidth, previousBoundary} from "./graphemes.js";
import type {Line} from "./lineEditor.js";

/** one screen row; `cursor` is where the cursor is drawn in it (text.length: just after the text) */
export type PromptRow = {text: string, cursor?: number};

export type PromptLayout = {rows: PromptRow[], hiddenAbove: number, hiddenBelow: number};

/**
 * Rows of at most `width` columns, less one: the cursor after the last character needs a cell of its own.
 * With more than maxRows rows, the window of maxRows rows that keeps the cursor's row near its middle.
 */
export function layoutPrompt({text, cursor}: Line, width: number, maxRows = Infinity): PromptLayout {
    const room = Math.max(1, width - 1);
    // rows as where they start and end in the text (a line break ends a row and is in none); only the rows shown are
    // cut out of the text, so a long prompt costs one walk over it
    const starts = [0];
    const ends = [0];
    let used = 0;
    let cursorRow = -1;
    eachGrapheme(text, 0, (g, at) => {
        const row = starts.length - 1;
        if (at === cursor) cursorRow = row;
        if (g === "\n" || g === "\r\n") {
            starts.push(at + g.length);
            ends.push(at + g.length);
            used = 0;
            return;
        }
        const w = graphemeWidth(g);
        if (used + w > room && ends[row]! > starts[row]!) {
            starts.push(at);
            ends.push(at + g.length);
            if (cursorRow === row && at === cursor) cursorRow = row + 1; // the cursor goes with its grapheme
            used = w;
            return;
        }
        ends[row] = at + g.length;
        used += w;
    });
    if (cursor >= text.length) cursorRow = starts.length - 1;
    else if (cursorRow < 0) { // the cursor inside a grapheme: on the row that holds it
        cursorRow = 0;
        while (cursorRow + 1 < starts.length && starts[cursorRow + 1]! <= cursor) cursorRow++;
    }
    const total = starts.length;
    const first = total <= maxRows ? 0 : Math.max(0, Math.min(cursorRow - Math.floor(maxRows / 2), total - maxRows));
    const count = Math.min(total, maxRows);
    const rows: PromptRow[] = [];
    for (let r = first; r < first + count; r++) {
        const row: PromptRow = {text: text.slice(starts[r], ends[r])};
        if (r === cursorRow) row.cursor = Math.max(0, Math.min(cursor, ends[r]!) - starts[r]!);
        rows.push(row);
    }
    return {rows, hiddenAbove: first, hiddenBelow: total - first - count};
}

/** the most of a sent prompt the transcript shows (Ink wraps text at some 20 µs a character: 20 s for a 1 MB paste) */
export const PROMPT_ECHO_LINES = 40;
export const PROMPT_ECHO_CHARACTERS = 4000;

/** text cut at a grapheme boundary at or before `limit`, or undefined when it is not longer */
function cutAt(text: string, limit: number): string | undefined {
    if (text.length <= limit) return undefined;
    return text.slice(0, previousBoundary(text, limit + 1));
}

/**
 * A sent prompt as the transcript shows it: whole when short; a long one (a paste) cut after PROMPT_ECHO_LINES lines
 * or PROMPT_ECHO_CHARACTERS characters, with a last line saying how much more was sent. Looks at no more of the
 * text than it shows.
 */
export function promptEcho(text: string): string {
    // where the PROMPT_ECHO_LINES-th line ends (no further than the character limit is searched)
    let end = text.length;
    for (let n = 0, at = -1; n < PROMPT_ECHO_LINES; n++) {
        at = text.indexOf("\n", at + 1);
        if (at < 0 || at > PROMPT_ECHO_CHARACTERS) break;
        if (n === PROMPT_ECHO_LINES - 1) end = at;
    }
    const shown = cutAt(text.slice(0, Math.min(end, PROMPT_ECHO_CHARACTERS + 2)), PROMPT_ECHO_CHARACTERS) ?? text.slice(0, end);
    const more = text.length - shown.length;
    if (text.slice(shown.length).trim() === "" || more <= 0) return text;
    return `${shown}\n… (${more.toLocaleString("en-US")} more characters)`;
}

/** A prompt on one row of `columns` (the queue's line): line breaks as ⏎, cut with "…" when it cannot fit. */
export function promptOnOneRow(text: string, columns: number): string {
    // a row never holds more graphemes than columns: what is beyond is not looked at (Ink's truncation is quadratic)
    const cut = cutAt(text, Math.max(1, columns) * 4);
    return (cut ?? text).replace(/\n/g, " ⏎ ") + (cut != null ? "…" : "");
}
