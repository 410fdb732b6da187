/**
 * The prompt's line editing as a pure function of (line, key). The prompt keeps the line in a ref and applies every
 * key to the latest line at once, so keys that arrive before React re-renders are never lost (ink-text-input edits
 * the value it last rendered, which dropped keys typed quickly while the app was busy).
 */
import type {Key} from "ink";

export type Line = {text: string, cursor: number};

export const EMPTY_LINE: Line = {text: "", cursor: 0};

export type LineEdit = {line: Line, submitted?: string};

const isWordChar = (ch: string | undefined) => ch != null && /\S/.test(ch);

export function editLine(line: Line, input: string, key: Partial<Key>): LineEdit {
    const {text, cursor} = line;
    const at = (next: Partial<Line>): LineEdit => ({line: {text: next.text ?? text, cursor: next.cursor ?? cursor}});
    if (key.return) return {line: EMPTY_LINE, submitted: text};
    if (key.leftArrow) return at({cursor: Math.max(0, cursor - 1)});
    if (key.rightArrow) return at({cursor: Math.min(text.length, cursor + 1)});
    if (key.home || (key.ctrl && input === "a")) return at({cursor: 0});
    if (key.end || (key.ctrl && input === "e")) return at({cursor: text.length});
    // terminals send DEL (which Ink names "delete") for the Backspace key, so both erase before the cursor
    if (key.backspace || key.delete) {
        if (cursor === 0) return {line};
        return at({text: text.slice(0, cursor - 1) + text.slice(cursor), cursor: cursor - 1});
    }
    if (key.ctrl && input === "u") return at({text: text.slice(cursor), cursor: 0});
    if (key.ctrl && input === "k") return at({text: text.slice(0, cursor)});
    if (key.ctrl && input === "w") {
        let start = cursor;
        while (start > 0 && !isWordChar(text[start - 1])) start--;
        while (start > 0 && isWordChar(text[start - 1])) start--;
        return at({text: text.slice(0, start) + text.slice(cursor), cursor: start});
    }
    // everything else with Ctrl/Meta is a shortcut for someone else (Ctrl+S, Ctrl+P, Ctrl+C, Esc), as are these keys
    if (key.ctrl || key.meta || key.escape || key.tab || key.upArrow || key.downArrow || key.pageUp || key.pageDown) return {line};
    // pasted line breaks become spaces: the prompt is one line and Enter sends it
    const inserted = input.replace(/\r\n|\r|\n/g, " ").replace(/[\u0000-\u001f\u007f]/g, "");
    if (inserted === "") return {line};
    return at({text: text.slice(0, cursor) + inserted + text.slice(cursor), cursor: cursor + inserted.length});
}
