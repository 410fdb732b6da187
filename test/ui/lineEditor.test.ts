import {describe, expect, it} from "vitest";
import {EMPTY_LINE, editLine, lineOf, moveVertical, type EditOptions, type Line} from "../../src/ui/lineEditor.js";

type Press = string | [string, Record<string, boolean>];

/** Applies keys one after another: [input, key] pairs, or plain strings for typed text. */
function runFrom(start: Line, options: EditOptions, ...keys: Press[]) {
    let line = start;
    const submitted: string[] = [];
    for (const k of keys) {
        const [input, key] = typeof k === "string" ? [k, {}] : k;
        const edit = editLine(line, input, key, options);
        line = edit.line;
        if (edit.submitted != null) submitted.push(edit.submitted);
    }
    return {line, submitted};
}
const run = (...keys: Press[]) => runFrom(EMPTY_LINE, {}, ...keys);
const runMulti = (...keys: Press[]) => runFrom(EMPTY_LINE, {multiline: true}, ...keys);

const left: Press = ["", {leftArrow: true}];
const right: Press = ["", {rightArrow: true}];
const backspace: Press = ["", {backspace: true}];
const del: Press = ["", {delete: true}];
const enter: Press = ["\r", {return: true}];

describe("the prompt's line editor", () => {
    it("inserts at the cursor, moves with ←/→/Home/End and Ctrl+A/E", () => {
        expect(run("helo", left, "l").line).toEqual({text: "hello", cursor: 4});
        expect(run("ab", ["", {home: true}], "x", ["", {end: true}], "y").line).toEqual({text: "xaby", cursor: 4});
        expect(run("ab", ["a", {ctrl: true}], "x", ["e", {ctrl: true}], "y").line).toEqual({text: "xaby", cursor: 4});
        expect(run(backspace, left).line).toEqual(EMPTY_LINE);
        expect(run("ab", right, right).line.cursor).toBe(2);
    });

    it("Backspace erases before the cursor and Delete after it", () => {
        expect(run("abc", left, backspace).line).toEqual({text: "ac", cursor: 1});
        expect(run("abc", left, left, del).line).toEqual({text: "ac", cursor: 1});
        expect(run("abc", del).line).toEqual({text: "abc", cursor: 3}); // nothing after the cursor
        expect(run("abc", ["d", {ctrl: true}]).line).toEqual({text: "abc", cursor: 3});
        expect(run("abc", ["", {home: true}], ["d", {ctrl: true}]).line).toEqual({text: "bc", cursor: 0});
    });

    it("edits by grapheme: an emoji with a skin tone, a flag, an accent written as two code points are one character", () => {
        for (const g of ["👍🏽", "🇫🇷", "e\u0301", "👩‍👩‍👧", "你"]) {
            expect(run(`a${g}`, backspace).line, g).toEqual({text: "a", cursor: 1});
            expect(run(`${g}b`, ["", {home: true}], del).line, g).toEqual({text: "b", cursor: 0});
            expect(run(`a${g}b`, left, left).line.cursor, g).toBe(1);
            expect(run(`a${g}b`, ["", {home: true}], right, right).line.cursor, g).toBe(1 + g.length);
        }
        // no lone surrogate is ever left behind
        const {line} = run("x👍🏽y", left, backspace, backspace);
        expect(line).toEqual({text: "y", cursor: 0});
    });

    it("Ctrl+U, Ctrl+K and Ctrl+W cut to the start, to the end and the word before the cursor; Alt+Backspace too", () => {
        expect(run("one two", left, ["u", {ctrl: true}]).line).toEqual({text: "o", cursor: 0});
        expect(run("one two", ["", {home: true}], right, ["k", {ctrl: true}]).line).toEqual({text: "o", cursor: 1});
        expect(run("one two  ", ["w", {ctrl: true}]).line).toEqual({text: "one ", cursor: 4});
        expect(run("one two", ["", {backspace: true, meta: true}]).line).toEqual({text: "one ", cursor: 4});
    });

    it("Ctrl+←/→ and Alt+B/F move by word", () => {
        expect(run("one two three", ["", {leftArrow: true, ctrl: true}]).line.cursor).toBe(8);
        expect(run("one two three", ["b", {meta: true}], ["b", {meta: true}]).line.cursor).toBe(4);
        expect(run("one two", ["", {home: true}], ["", {rightArrow: true, ctrl: true}]).line.cursor).toBe(3);
        expect(run("one two", ["", {home: true}], ["f", {meta: true}], ["f", {meta: true}]).line.cursor).toBe(7);
    });

    it("leaves shortcuts to the app: Ctrl+S/P/C/L, Esc, Tab and ↑/↓ change nothing", () => {
        for (const key of [["s", {ctrl: true}], ["p", {ctrl: true}], ["c", {ctrl: true}], ["l", {ctrl: true}], ["", {escape: true, meta: true}],
            ["\t", {tab: true}], ["", {upArrow: true}], ["", {downArrow: true}]] as [string, Record<string, boolean>][])
            expect(run("hi", key).line, JSON.stringify(key)).toEqual({text: "hi", cursor: 2});
    });

    it("Enter submits the line and empties it; in a one-line field pasted line breaks become spaces, control bytes go", () => {
        expect(run("a\r\nb\nc\u0007", enter)).toEqual({line: EMPTY_LINE, submitted: ["a b c"]});
        expect(run(enter).submitted).toEqual([""]);
        expect(run("x\ty").line.text).toBe("x    y");
    });
});

describe("the multi-line prompt", () => {
    it("keeps a paste's lines, and Enter sends them all", () => {
        expect(runMulti("first line\nsecond line", enter)).toEqual({line: EMPTY_LINE, submitted: ["first line\nsecond line"]});
        expect(runMulti("a\r\nb").line.text).toBe("a\nb");
    });

    it("Alt+Enter, or a \\ ending the line before Enter, starts a new line instead of sending", () => {
        expect(runMulti("one", ["\r", {return: true, meta: true}], "two").line).toEqual({text: "one\ntwo", cursor: 7});
        expect(runMulti("one\\", enter, "two", enter).submitted).toEqual(["one\ntwo"]);
        // a \ inside the text is just a character
        expect(runMulti("a\\b", left, enter).submitted).toEqual(["a\\b"]);
    });

    it("Home/End and Ctrl+U/K work on the cursor's line", () => {
        const two = lineOf("one\ntwo");
        expect(runFrom(two, {multiline: true}, ["", {home: true}]).line.cursor).toBe(4);
        expect(runFrom({text: "one\ntwo", cursor: 1}, {multiline: true}, ["", {end: true}]).line.cursor).toBe(3);
        expect(runFrom(two, {multiline: true}, ["u", {ctrl: true}]).line).toEqual({text: "one\n", cursor: 4});
        expect(runFrom({text: "one\ntwo", cursor: 1}, {multiline: true}, ["k", {ctrl: true}]).line).toEqual({text: "o\ntwo", cursor: 1});
    });

    it("↑/↓ move to the same column on the line above or below, and give up on the first or last line", () => {
        const text = "abcdef\nxy\n👍🏽bcd";
        expect(moveVertical({text, cursor: 4}, 1)).toEqual({text, cursor: 9}); // column 4 → the end of "xy"
        expect(moveVertical({text, cursor: 8}, 1)).toEqual({text, cursor: 10 + "👍🏽".length}); // column 1 past the emoji
        expect(moveVertical({text, cursor: text.length}, -1)).toEqual({text, cursor: 9});
        expect(moveVertical({text, cursor: 2}, -1)).toBeUndefined();
        expect(moveVertical({text, cursor: text.length}, 1)).toBeUndefined();
    });
});
