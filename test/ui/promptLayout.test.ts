import {describe, expect, it} from "vitest";
import {displayWidth, graphemeWidth} from "../../src/ui/graphemes.js";
import {layoutPrompt, PROMPT_ECHO_CHARACTERS, PROMPT_ECHO_LINES, promptEcho, promptOnOneRow} from "../../src/ui/promptLayout.js";

describe("display width", () => {
    it("counts CJK characters and emoji as two columns, combining marks as none", () => {
        expect(displayWidth("abc")).toBe(3);
        expect(displayWidth("你好")).toBe(4);
        expect(displayWidth("ｈｉ")).toBe(4); // fullwidth forms
        expect(displayWidth("👍🏽")).toBe(2);
        expect(displayWidth("🇫🇷")).toBe(2);
        expect(displayWidth("e\u0301")).toBe(1);
        expect(graphemeWidth("\u0301")).toBe(0);
        expect(displayWidth("é→x")).toBe(3);
    });
});

describe("the prompt's rows", () => {
    it("wraps at the width by display width, keeping one cell free for the cursor at the end", () => {
        // width 7: six columns of text per row
        const {rows} = layoutPrompt({text: "你好世界abc", cursor: 0}, 7);
        expect(rows.map((r) => r.text)).toEqual(["你好世", "界abc"]);
        expect(rows[0]!.cursor).toBe(0);
        // a wide character that does not fit goes to the next row whole
        expect(layoutPrompt({text: "abcde你", cursor: 0}, 7).rows.map((r) => r.text)).toEqual(["abcde", "你"]);
    });

    it("places the cursor on the grapheme it is on, or after the text", () => {
        const text = "ab👍🏽cd";
        expect(layoutPrompt({text, cursor: 2}, 80).rows).toEqual([{text, cursor: 2}]);
        expect(layoutPrompt({text, cursor: text.length}, 80).rows).toEqual([{text, cursor: text.length}]);
        // the cursor on the first grapheme of a wrapped row is at the start of that row
        const wrapped = layoutPrompt({text: "abcdefgh", cursor: 6}, 7).rows;
        expect(wrapped).toEqual([{text: "abcdef"}, {text: "gh", cursor: 0}]);
    });

    it("gives each line of a multi-line prompt its own row; the cursor on a line break is at the end of its row", () => {
        expect(layoutPrompt({text: "one\ntwo", cursor: 3}, 80).rows).toEqual([{text: "one", cursor: 3}, {text: "two"}]);
        expect(layoutPrompt({text: "one\n", cursor: 4}, 80).rows).toEqual([{text: "one"}, {text: "", cursor: 0}]);
    });

    it("shows a long prompt as a window of rows around the cursor", () => {
        const text = Array.from({length: 30}, (_, i) => `line ${i}`).join("\n");
        const end = layoutPrompt({text, cursor: text.length}, 80, 8);
        expect(end.rows.map((r) => r.text)).toEqual(Array.from({length: 8}, (_, i) => `line ${22 + i}`));
        expect(end).toMatchObject({hiddenAbove: 22, hiddenBelow: 0});
        const middle = layoutPrompt({text, cursor: text.indexOf("line 15")}, 80, 8);
        expect(middle.rows.find((r) => r.cursor != null)!.text).toBe("line 15");
        expect(middle.hiddenAbove + middle.rows.length + middle.hiddenBelow).toBe(30);
        expect(layoutPrompt({text, cursor: 0}, 80, 8)).toMatchObject({hiddenAbove: 0, hiddenBelow: 22});
    });
});

describe("a sent prompt in the transcript and the queue", () => {
    it("a short prompt is shown whole", () => {
        expect(promptEcho("The dog\nran far")).toBe("The dog\nran far");
        expect(promptOnOneRow("one\ntwo", 80)).toBe("one ⏎ two");
    });

    it("a long one is cut after its first lines or characters, saying how much more was sent", () => {
        const lines = Array.from({length: 100}, (_, i) => `line ${i}`).join("\n");
        const echo = promptEcho(lines);
        expect(echo.split("\n")).toHaveLength(PROMPT_ECHO_LINES + 1);
        expect(echo).toMatch(/line 39\n… \([\d,]+ more characters\)$/);
        const paste = "👍🏽".repeat(1 << 18); // 1 MB in graphemes of four characters: never cut inside one
        const cut = promptEcho(paste);
        const shown = cut.slice(0, cut.indexOf("\n"));
        expect(shown.length).toBeLessThanOrEqual(PROMPT_ECHO_CHARACTERS);
        expect(shown.length % 4).toBe(0);
        expect(cut).toContain(`… (${(paste.length - shown.length).toLocaleString("en-US")} more characters)`);
        const row = promptOnOneRow(paste, 80);
        expect(row.length).toBeLessThanOrEqual(80 * 4 + 1);
        expect(row.endsWith("…")).toBe(true);
    });
});
