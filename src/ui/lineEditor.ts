/**
 * The prompt's line editing as a pure function of (line, key). The prompt keeps the line in a ref and applies every
 * key to the latest line at once, so keys that arrive before React re-renders are never lost (ink-text-input edits
 * the value it last rendered, which dropped keys typed quickly while the app was busy).
 *
 * It edits by grapheme (👍🏽 is one character to move over and to erase). Backspace erases before the cursor and
 * Delete after it: the keyboard (terminalKeyboard.ts) hands Ink the Backspace key's DEL as BS, so Ink's `delete` is
 * only the Delete key. A multi-line prompt keeps a paste's line breaks, and Alt+Enter or a `\` at the end of the
 * line before Enter starts a new line; a single-line one (a dialog's name field) turns line breaks into spaces.
 */
import type {Key} from "ink";
import {eachGrapheme, nextBoundary, previousBoundary} from "./graphemes.js";

export type Line = {text: string, cursor: number};

export const EMPTY_LINE: Line = {text: "", cursor: 0};

export type LineEdit = {line: Line, submitted?: string};

export type EditOptions = {
    /** line breaks are kept (the chat prompt); otherwise they become spaces */
    multiline?: boolean
};

/** a line holding text with the cursor at its end */
export const lineOf = (text: string): Line => ({text, cursor: text.length});

const isWordChar = (ch: string | undefined) => ch != null && /\S/.test(ch);

function wordStartBefore(text: string, cursor: number): number {
    let start = cursor;
    while (start > 0 && !isWordChar(text[start - 1])) start--;
    while (start > 0 && isWordChar(text[start - 1])) start--;
    return start;
}

function wordEndAfter(text: string, cursor: number): number {
    let end = cursor;
    while (end < text.length && !isWordChar(text[end])) end++;
    while (end < text.length && isWordChar(text[end])) end++;
    return end;
}

const lineStart = (text: string, cursor: number) => text.lastIndexOf("\n", cursor - 1) + 1;
const lineEnd = (text: string, cursor: number) => {
    const end = text.indexOf("\n", cursor);
    return end < 0 ? text.length : end;
};

/**
 * Typed, pasted or recalled text as it goes into the line: no control bytes (C0, ESC, DEL, C1), tabs as spaces, line
 * breaks kept or made spaces. A prompt history entry comes from a file: whatever it holds never reaches the terminal.
 */
export function insertableText(input: string, multiline: boolean): string {
    const text = input.replace(/\r\n?/g, "\n").replace(/\t/g, "    ").replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, "");
    return multiline ? text : text.replace(/\n/g, " ");
}

function replace(line: Line, from: number, to: number, inserted: string): Line {
    return {text: line.text.slice(0, from) + inserted + line.text.slice(to), cursor: from + inserted.length};
}

/** Enter: sends the line, or in a multi-line prompt starts a new line after Alt or a `\` ending the line */
function enter(line: Line, key: Partial<Key>, multiline: boolean): LineEdit {
    const {text, cursor} = line;
    if (multiline && key.meta) return {line: replace(line, cursor, cursor, "\n")};
    if (multiline && text.slice(0, cursor).endsWith("\\") && lineEnd(text, cursor) === cursor)
        return {line: replace(line, cursor - 1, cursor, "\n")};
    return {line: EMPTY_LINE, submitted: text};
}

export function editLine(line: Line, input: string, key: Partial<Key>, {multiline = false}: EditOptions = {}): LineEdit {
    const {text, cursor} = line;
    const at = (next: Line): LineEdit => ({line: next});
    const moveTo = (position: number): LineEdit => at({text, cursor: position});
    const cut = (from: number, to: number): LineEdit => at(replace(line, from, to, ""));
    if (key.return) return enter(line, key, multiline);
    const word = key.ctrl || key.meta;
    if (key.leftArrow) return moveTo(word ? wordStartBefore(text, cursor) : previousBoundary(text, cursor));
    if (key.rightArrow) return moveTo(word ? wordEndAfter(text, cursor) : nextBoundary(text, cursor));
    if (key.meta && input === "b") return moveTo(wordStartBefore(text, cursor));
    if (key.meta && input === "f") return moveTo(wordEndAfter(text, cursor));
    if (key.home || (key.ctrl && input === "a")) return moveTo(lineStart(text, cursor));
    if (key.end || (key.ctrl && input === "e")) return moveTo(lineEnd(text, cursor));
    if (key.backspace) return cut(key.meta ? wordStartBefore(text, cursor) : previousBoundary(text, cursor), cursor);
    if (key.delete || (key.ctrl && input === "d")) return cut(cursor, nextBoundary(text, cursor));
    if (key.meta && input === "d") return cut(cursor, wordEndAfter(text, cursor));
    if (key.ctrl && input === "u") return cut(lineStart(text, cursor), cursor);
    if (key.ctrl && input === "k") return cut(cursor, lineEnd(text, cursor));
    if (key.ctrl && input === "w") return cut(wordStartBefore(text, cursor), cursor);
    // everything else with Ctrl/Meta is a shortcut for someone else (Ctrl+S, Ctrl+P, Ctrl+C, Ctrl+L, Esc), as are these keys
    if (key.ctrl || key.meta || key.escape || key.tab || key.upArrow || key.downArrow || key.pageUp || key.pageDown) return {line};
    const inserted = insertableText(input, multiline);
    if (inserted === "") return {line};
    return at(replace(line, cursor, cursor, inserted));
}

/**
 * ↑/↓ inside a multi-line text: the same column (in graphemes) on the line above or below; undefined on the first
 * (or last) line, where the arrow is the prompt history's.
 */
export function moveVertical(line: Line, direction: -1 | 1): Line | undefined {
    const {text, cursor} = line;
    const start = lineStart(text, cursor);
    let target: number;
    if (direction < 0) {
        if (start === 0) return undefined;
        target = lineStart(text, start - 1);
    } else {
        const end = lineEnd(text, cursor);
        if (end === text.length) return undefined;
        target = end + 1;
    }
    // one walk over each line (a step at a time from its start would be quadratic in a long line)
    let column = 0;
    eachGrapheme(text, start, (_g, at) => {
        if (at >= cursor) return true;
        column++;
    });
    const targetEnd = lineEnd(text, target);
    let n = 0;
    eachGrapheme(text, target, (g, at) => {
        if (n === column || at >= targetEnd) return true;
        n++;
        target = at + g.length;
    });
    return {text, cursor: Math.min(target, targetEnd)};
}
