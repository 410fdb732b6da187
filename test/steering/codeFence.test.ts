/** The fence tracker behind --steer-code off: CommonMark's fenced code blocks, known at the end of their lines. */
import {describe, expect, it} from "vitest";
import {CodeFenceTracker, endsInCode} from "../../src/steering/codeFence.js";

/** inCode() after each character of `text`, as a string of 0 and 1 */
function trace(text: string): string {
    const t = new CodeFenceTracker();
    return [...text].map((ch) => {
        t.feed(ch);
        return t.inCode() ? "1" : "0";
    }).join("");
}

describe("CodeFenceTracker", () => {
    it("a block runs from the end of the opening line to the end of the closing one", () => {
        const text = "a\n```js\nx\n```\nb";
        expect(trace(text)).toBe("0000000" + "1" + "11" + "111" + "0" + "0");
    });

    it("backticks and tildes, three or more, up to three spaces of indentation", () => {
        expect(endsInCode("```\n")).toBe(true);
        expect(endsInCode("~~~~ python\n")).toBe(true);
        expect(endsInCode("   ```\n")).toBe(true);
        expect(endsInCode("    ```\n")).toBe(false); // indented code, not a fence
        expect(endsInCode("``\n")).toBe(false);
        expect(endsInCode("text ```\n")).toBe(false);
        expect(endsInCode("```\n")).toBe(true);
    });

    it("a fence is known only at its newline", () => {
        expect(endsInCode("```")).toBe(false);
        expect(endsInCode("```\ncode\n```")).toBe(true);
        expect(endsInCode("```\ncode\n```\n")).toBe(false);
    });

    it("a backtick fence's info string holds no backtick (inline code at a line's start is not a fence)", () => {
        expect(endsInCode("```x```\nmore\n")).toBe(false);
        expect(endsInCode("~~~x```\n")).toBe(true);
    });

    it("the closing fence: the same character, at least as long, nothing after it but spaces", () => {
        expect(endsInCode("````\n```\n")).toBe(true);
        expect(endsInCode("````\n`````  \n")).toBe(false);
        expect(endsInCode("```\n~~~\n")).toBe(true);
        expect(endsInCode("~~~\n```\n~~~\n")).toBe(false);
        expect(endsInCode("```\n``` x\n")).toBe(true);
        expect(endsInCode("```\r\ncode\r\n```\r\n")).toBe(false);
    });

    it("the text may come in any pieces", () => {
        const text = "Hi\n~~~\nls -l\n~~~\nthen\n```py\nprint(1)\n";
        const t = new CodeFenceTracker();
        for (const piece of ["Hi\n~", "~~\nls", " -l\n~~~\nthen", "\n``", "`py\nprint(1)\n"]) t.feed(piece);
        expect(t.inCode()).toBe(endsInCode(text));
        expect(t.inCode()).toBe(true);
    });
});
