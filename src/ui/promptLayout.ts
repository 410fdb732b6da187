/**
 * The prompt's text laid out in terminal rows: wrapped at the width by display width (CJK and emoji take two
 * columns, a grapheme is never cut), a row per line of a multi-line prompt, and the cursor placed in its row. A long
 * paste shows only the rows around the cursor, so the live area never outgrows the screen.
 */
import {graphemes, graphemeWidth} from "./graphemes.js";
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
    const rows: PromptRow[] = [{text: ""}];
    let used = 0;
    let offset = 0;
    let cursorRow = 0;
    for (const g of graphemes(text)) {
        const row = rows[rows.length - 1]!;
        if (offset === cursor) {
            row.cursor = row.text.length;
            cursorRow = rows.length - 1;
        }
        offset += g.length;
        if (g === "\n" || g === "\r\n") {
            rows.push({text: ""});
            used = 0;
            continue;
        }
        const w = graphemeWidth(g);
        if (used + w > room && row.text !== "") {
            const moved = row.cursor === row.text.length ? row.cursor : undefined;
            if (moved != null) delete row.cursor;
            rows.push({text: g, ...(moved != null ? {cursor: 0} : {})});
            if (moved != null) cursorRow = rows.length - 1;
            used = w;
            continue;
        }
        row.text += g;
        used += w;
    }
    if (cursor >= text.length) {
        const last = rows[rows.length - 1]!;
        last.cursor = last.text.length;
        cursorRow = rows.length - 1;
    }
    if (rows.length <= maxRows) return {rows, hiddenAbove: 0, hiddenBelow: 0};
    const first = Math.max(0, Math.min(cursorRow - Math.floor(maxRows / 2), rows.length - maxRows));
    return {rows: rows.slice(first, first + maxRows), hiddenAbove: first, hiddenBelow: rows.length - first - maxRows};
}
