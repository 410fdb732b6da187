import {describe, expect, it} from "vitest";
import {EMPTY_LINE, editLine, type Line} from "../../src/ui/lineEditor.js";

/** Applies keys one after another: [input, key] pairs, or plain strings for typed text. */
function run(...keys: (string | [string, Record<string, boolean>])[]) {
    let line: Line = EMPTY_LINE;
    const submitted: string[] = [];
    for (const k of keys) {
        const [input, key] = typeof k === "string" ? [k, {}] : k;
        const edit = editLine(line, input, key);
        line = edit.line;
        if (edit.submitted != null) submitted.push(edit.submitted);
    }
    return {line, submitted};
}

describe("the prompt's line editor", () => {
    it("inserts at the cursor, moves with ←/→/Home/End and Ctrl+A/E, and erases before the cursor", () => {
        expect(run("helo", ["", {leftArrow: true}], "l").line).toEqual({text: "hello", cursor: 4});
        expect(run("ab", ["", {home: true}], "x", ["", {end: true}], "y").line).toEqual({text: "xaby", cursor: 4});
        expect(run("ab", ["a", {ctrl: true}], "x", ["e", {ctrl: true}], "y").line).toEqual({text: "xaby", cursor: 4});
        expect(run("abc", ["", {leftArrow: true}], ["", {backspace: true}]).line).toEqual({text: "ac", cursor: 1});
        expect(run("abc", ["", {delete: true}]).line).toEqual({text: "ab", cursor: 2}); // DEL is the Backspace key
        expect(run(["", {backspace: true}], ["", {leftArrow: true}]).line).toEqual(EMPTY_LINE);
        expect(run("ab", ["", {rightArrow: true}], ["", {rightArrow: true}]).line.cursor).toBe(2);
    });

    it("Ctrl+U, Ctrl+K and Ctrl+W cut to the start, to the end and the word before the cursor", () => {
        expect(run("one two", ["", {leftArrow: true}], ["u", {ctrl: true}]).line).toEqual({text: "o", cursor: 0});
        expect(run("one two", ["", {home: true}], ["", {rightArrow: true}], ["k", {ctrl: true}]).line).toEqual({text: "o", cursor: 1});
        expect(run("one two  ", ["w", {ctrl: true}]).line).toEqual({text: "one ", cursor: 4});
    });

    it("leaves shortcuts to the app: Ctrl+S/P/C, Esc, Tab and ↑/↓ change nothing", () => {
        for (const key of [["s", {ctrl: true}], ["p", {ctrl: true}], ["c", {ctrl: true}], ["", {escape: true, meta: true}],
            ["\t", {tab: true}], ["", {upArrow: true}], ["", {downArrow: true}]] as [string, Record<string, boolean>][])
            expect(run("hi", key).line, JSON.stringify(key)).toEqual({text: "hi", cursor: 2});
    });

    it("Enter submits the line and empties it; pasted line breaks become spaces and control bytes are dropped", () => {
        expect(run("a\r\nb\nc\u0007", ["", {return: true}])).toEqual({line: EMPTY_LINE, submitted: ["a b c"]});
        expect(run(["", {return: true}]).submitted).toEqual([""]);
    });
});
