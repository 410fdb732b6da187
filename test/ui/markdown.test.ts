import {describe, expect, it} from "vitest";
import {fenceAfter, renderMarkdown, trailingTableStart} from "../../src/ui/markdown.js";
import {displayWidth} from "../../src/ui/graphemes.js";
import {splitStream} from "../../src/ui/streamLines.js";

const ESC = "\u001b";
const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "");
const md = (text: string, width = 60, openFence?: string) => renderMarkdown(text, {width, level: 1, openFence});
const lines = (text: string, width = 60) => plain(md(text, width)).split("\n");

describe("Markdown for the terminal", () => {
    it("keeps a code block verbatim inside a frame, its language on the top edge, no Markdown inside", () => {
        const out = lines("Look:\n```python\ndef f(x):\n    return x * 2  # **not bold**\n\n```\nDone.");
        expect(out).toEqual(["Look:", "┌─ python", "│ def f(x):", "│     return x * 2  # **not bold**", "│ ", "└─", "Done."]);
        expect(md("```\n**x**\n```")).not.toContain(`${ESC}[1m`);
    });

    it("draws list bullets, keeps numbers, and wraps an item under its text", () => {
        expect(lines("- one\n* two\n  + nested\n1. first\n2) second")).toEqual(["• one", "• two", "  • nested", "1. first", "2) second"]);
        expect(lines("- alpha beta gamma delta", 14)).toEqual(["• alpha beta", "  gamma delta"]);
    });

    it("styles bold, emphasis, inline code and links, without their markers", () => {
        const out = md("a **bold** and *soft* `code` [site](https://example.org)");
        expect(out).toContain(`${ESC}[1mbold${ESC}[22m`);
        expect(out).toContain(`${ESC}[3msoft${ESC}[23m`);
        expect(out).toContain(`${ESC}[36mcode${ESC}[39m`);
        expect(plain(out)).toBe("a bold and soft code site (https://example.org)");
        expect(plain(md("# Title\n> said\n---", 10))).toBe("Title\n│ said\n──────────");
    });

    it("draws a fence still being written (no closing line yet) as code, and a part that starts inside a fence", () => {
        expect(lines("Here:\n```js\nconst a = 1;\nconst b")).toEqual(["Here:", "┌─ js", "│ const a = 1;", "│ const b"]);
        // a reply's later part, printed on its own, goes on in the fence its earlier part opened
        expect(plain(md("x = 1\n```\nafter", 60, "```py"))).toBe("│ x = 1\n└─\nafter");
        expect(fenceAfter("text\n```ts\ncode")).toBe("```ts");
        expect(fenceAfter("code\n```\nafter", "```ts")).toBeUndefined();
        expect(fenceAfter("````\n```\nstill code")).toBe("````"); // a shorter fence does not close a longer one
    });

    it("wraps prose at the width, words whole, a word longer than a line broken", () => {
        const text = "The quick brown fox jumps over the lazy dog and keeps running far away";
        for (const width of [12, 20, 33]) {
            const out = lines(text, width);
            for (const line of out) expect(displayWidth(line), line).toBeLessThanOrEqual(width);
            expect(out.join(" ")).toBe(text);
        }
        expect(lines("abcdefghijkl", 5)).toEqual(["abcde", "fghij", "kl"]);
        expect(lines("```\n0123456789\n```", 6)).toEqual(["┌─", "│ 0123", "│ 4567", "│ 89", "└─"]);
    });

    it("aligns a table that fits, header bold", () => {
        const out = md("| name | n |\n|---|--:|\n| a | 1 |\n| bbb | 22 |");
        expect(plain(out).split("\n")).toEqual(["name │  n", "─────┼───", "a    │  1", "bbb  │ 22"]);
        expect(out).toContain(`${ESC}[1mname${ESC}[22m`);
    });

    it("with colour off (NO_COLOR: level 0) draws no escape sequences and keeps the inline markers as written", () => {
        const out = renderMarkdown("# Hi\nsome **bold** and `code`\n- item\n```\nx\n```", {width: 60, level: 0});
        expect(out).not.toContain(ESC);
        expect(out).toBe("# Hi\nsome **bold** and `code`\n• item\n┌─\n│ x\n└─");
    });
});

describe("a Markdown reply being written", () => {
    it("holds a table's rows back until the table ends, then prints it whole", () => {
        expect(trailingTableStart("intro\n| a | b |\n|---|---|")).toBe(6);
        expect(trailingTableStart("| a |\nafter")).toBeUndefined();
        expect(trailingTableStart("```\n| a |", undefined)).toBeUndefined(); // in code, a pipe is code
        const markdown = {};
        expect(splitStream("intro\n| a | b |\n|---|---|\n| 1", 0, markdown)).toEqual({finished: "intro", committed: 6, live: "| a | b |\n|---|---|\n| 1"});
        expect(splitStream("intro\n| a | b |\n|---|---|\n| 1 | 2 |\nafter\n", 6, markdown))
            .toEqual({finished: "| a | b |\n|---|---|\n| 1 | 2 |\nafter", committed: 42, live: ""});
        // raw mode: lines as they come
        expect(splitStream("intro\n| a | b |\n|", 0)).toEqual({finished: "intro\n| a | b |", committed: 16, live: "|"});
    });
});

describe("indents", () => {
    it("keep a line's indent on its wrapped rows when it is two spaces or more, not the one space a reply may start with", () => {
        expect(lines(" one two three", 9)).toEqual([" one two", "three"]);
        expect(lines("- item\n  more text here", 11)).toEqual(["• item", "  more text", "  here"]);
    });
});
