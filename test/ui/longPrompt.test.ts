/**
 * A prompt of any size stays responsive: the prompt's editing and layout cost work linear in its length. A 1 MB paste
 * (or ↑ to a long history entry) froze the chat for minutes: V8's Intl.Segmenter costs time in proportion to the
 * whole string for every grapheme it steps over (and for each `containing` call), and the prompt walked the whole
 * text with it. The work is counted here as V8 spends it (the string's length for each step and each lookup), and a
 * budget linear in the text's size is enforced as it goes, so a quadratic walk fails at once instead of running for
 * minutes. No time is measured.
 */
import {afterEach, beforeEach, describe, expect, it, vi} from "vitest";
import {seededRandom} from "../../src/random.js";
import {graphemes, nextBoundary, previousBoundary} from "../../src/ui/graphemes.js";
import {editLine, lineOf, moveVertical} from "../../src/ui/lineEditor.js";
import {layoutPrompt} from "../../src/ui/promptLayout.js";

const MB = 1 << 20;
/** segmenter work allowed per character of the text for one operation (the windows cost a few dozen) */
const PER_CHARACTER = 400;

let work = 0;
let budget = Infinity;
const charge = (units: number) => {
    work += units;
    if (work > budget) throw new Error(`more than ${budget} units of segmenter work: not linear`);
};

/** runs `operation` on a text of `size` characters within a linear budget of segmenter work */
function linear<T>(size: number, operation: () => T): T {
    work = 0;
    budget = PER_CHARACTER * size;
    return operation();
}

/** about n characters of text a segmenter is needed for: accents written as e + U+0301, emoji, CJK, a flag, lines */
function mixedText(n: number): string {
    const random = seededRandom(7);
    const pieces = ["e\u0301", "👍🏽", "你好", "🇫🇷", " ", "word ", "\n", "한", "क्ष", "👨‍👩‍👧"];
    const parts: string[] = [];
    for (let length = 0; length < n;) {
        const piece = pieces[Math.floor(random() * pieces.length)]!;
        parts.push(piece);
        length += piece.length;
    }
    return parts.join("");
}

describe("graphemes walked in windows are Intl.Segmenter's, exactly", () => {
    it("on random texts of tricky pieces and graphemes longer than a window", () => {
        const segmenter = new Intl.Segmenter(undefined, {granularity: "grapheme"});
        const random = seededRandom(1);
        const pieces = ["a", "e\u0301", "\u0301", "👍🏽", "🇫🇷", "🇩", "\u200d", "👨‍👩‍👧", "\r", "\n", "\r\n", "한", "\u1100", "\u1161", "\u11a8", "क्ष", "\u094d",
            "\ud800", "\udc00", " ", "\u0600", "😀", "\ufe0f", "中", `e${"\u0301".repeat(150)}`, "🇫🇷".repeat(40), "a".repeat(70)];
        for (let round = 0; round < 120; round++) {
            let text = "";
            const n = 1 + Math.floor(random() * 120);
            for (let i = 0; i < n; i++) text += pieces[Math.floor(random() * pieces.length)];
            const expected = Array.from(segmenter.segment(text), (s) => s.segment);
            expect(graphemes(text), JSON.stringify(text)).toEqual(expected);
            const starts = [0];
            for (const g of expected) starts.push(starts.at(-1)! + g.length);
            const indexes: number[] = [];
            for (let i = 0; i <= text.length; i += 1 + Math.floor(random() * 7)) indexes.push(i);
            const expectedNext = indexes.map((i) => (i >= text.length ? text.length : starts.find((s) => s > i)));
            const expectedPrevious = indexes.map((i) => (i === 0 ? 0 : [...starts].reverse().find((s) => s < i)));
            expect(indexes.map((i) => nextBoundary(text, i))).toEqual(expectedNext);
            expect(indexes.map((i) => previousBoundary(text, i))).toEqual(expectedPrevious);
        }
    });
});

describe("a 1 MB prompt costs work linear in its length", () => {
    beforeEach(() => {
        const segment = Intl.Segmenter.prototype.segment;
        vi.spyOn(Intl.Segmenter.prototype, "segment").mockImplementation(function (this: Intl.Segmenter, input: string) {
            const segments = segment.call(this, input);
            return {
                containing(index?: number) {
                    charge(input.length);
                    return segments.containing(index);
                },
                * [Symbol.iterator]() {
                    for (const s of segments) {
                        charge(input.length);
                        yield s;
                    }
                }
            } as Intl.Segments;
        });
    });
    afterEach(() => {
        vi.restoreAllMocks();
        budget = Infinity;
    });

    const text = mixedText(MB);
    const oneLine = text.replace(/\n/g, " ");

    it("laid out in rows, with the cursor anywhere", () => {
        const end = linear(text.length, () => layoutPrompt(lineOf(text), 80, 8));
        expect(end.rows).toHaveLength(8);
        expect(end.hiddenAbove).toBeGreaterThan(10_000);
        const start = linear(text.length, () => layoutPrompt({text, cursor: 0}, 80, 8));
        expect(start.hiddenAbove).toBe(0);
        expect(linear(text.length, () => graphemes(text)).join("")).toBe(text);
    });

    it("edited: Backspace, Delete, the arrows, on one line of 1 MB and on many", () => {
        for (const t of [text, oneLine]) {
            const middle = nextBoundary(t, t.length >> 1);
            for (const key of [{backspace: true}, {delete: true}, {leftArrow: true}, {rightArrow: true}, {ctrl: true, leftArrow: true}]) {
                for (const cursor of [0, middle, t.length]) linear(t.length, () => editLine({text: t, cursor}, "", key, {multiline: true}));
            }
            linear(t.length, () => editLine({text: t, cursor: middle}, "x", {}, {multiline: true}));
        }
    });

    it("↑ and ↓ through a long line keep the column, with one walk over it", () => {
        const long = `short\n${oneLine}\nend`;
        /** where the long line's nth grapheme ends */
        const after = (n: number) => 6 + graphemes(oneLine.slice(0, 100)).slice(0, n).join("").length;
        const up = linear(long.length, () => moveVertical({text: long, cursor: long.length}, -1));
        expect(up?.cursor).toBe(after(3)); // the end of "end", 3 graphemes in: after the long line's 3rd
        const down = linear(long.length, () => moveVertical({text: long, cursor: long.length - 4}, 1));
        expect(down?.cursor).toBe(long.length); // from the long line's end to the end of "end"
        const back = linear(long.length, () => moveVertical({text: long, cursor: after(4)}, -1));
        expect(back?.cursor).toBe(4);
    });

    it("a budget this test would catch: walking a long text with Intl.Segmenter as one string is quadratic", () => {
        const segmenter = new Intl.Segmenter(undefined, {granularity: "grapheme"});
        const tenth = text.slice(0, MB / 10);
        expect(() => linear(tenth.length, () => Array.from(segmenter.segment(tenth)))).toThrow(/not linear/);
    });
});
