/**
 * The prompt's text laid out in terminal rows: wrapped at the width by display width (CJK and emoji take two
 * columns, a grapheme is never cut), a row per line of a multi-line prompt, and the cursor placed in its row. A long
 * paste shows only the rows around the cursor, so the live area never outgrows the screen.
 */
import {eachGrapheme, graphemeWidth} from "./graphemes.js";
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
