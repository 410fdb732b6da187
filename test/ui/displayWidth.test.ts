/**
 * Display width is string-width's, the measure Ink lays text out by: the prompt's rows, Markdown's wrapped lines,
 * /help's columns, the read-out's shades and the panel's names all fit the columns string-width says they take, with
 * wide (CJK), emoji (ZWJ sequences, flags, skin tones, keycaps) and combining text. Pure: no model, no Ink.
 */
import stringWidth from "string-width";
import stripAnsi from "strip-ansi";
import {describe, expect, it} from "vitest";
import {displayWidth, fitToWidth, graphemes, graphemeWidth} from "../../src/ui/graphemes.js";
import {layoutPrompt} from "../../src/ui/promptLayout.js";
import {renderMarkdown} from "../../src/ui/markdown.js";
import {helpColumns} from "../../src/ui/commands/helpText.js";
import {heatMap} from "../../src/ui/readoutView.js";
import {fitName} from "../../src/ui/components/SteeringPanel.js";

const SAMPLES = [
    "日本語のテキストを折り返す 中文字符 한국어 문장",
    "family 👨‍👩‍👧‍👦 flags 🇫🇷🇯🇵 thumbs 👍🏽 keycap 1️⃣ heart ❤️ and ❤",
    "e\u0301te\u0301 cafe\u0301 n\u0303 a\u0308\u0304 Zalgo z\u0351\u0352\u0353",
    "ｆｕｌｌｗｉｄｔｈ ﾊﾝｶｸ 각 jamo zero\u200bwidth join\u200d",
    "mixed ascii 日本 emoji 🎉 accents é and a long word Donaudampfschifffahrtsgesellschaftskapitän 你好世界你好世界你好世界"
];

describe("widths are string-width's", () => {
    it("each grapheme and each text measures as string-width measures it", () => {
        for (const text of SAMPLES) {
            expect(displayWidth(text), text).toBe(stringWidth(text));
            for (const g of graphemes(text)) expect(graphemeWidth(g), JSON.stringify(g)).toBe(stringWidth(g));
        }
        // what the old table got wrong: a ZWJ family is one emoji, two columns; a keycap is two
        expect(graphemeWidth("👨‍👩‍👧‍👦")).toBe(2);
        expect(graphemeWidth("1️⃣")).toBe(2);
    });
});

describe("the prompt's layout agrees with string-width", () => {
    for (const width of [4, 7, 12, 21, 40])
        it(`at ${width} columns every row fits, and no row could have taken the next grapheme`, () => {
            for (const text of SAMPLES) {
                const {rows} = layoutPrompt({text, cursor: text.length}, width);
                expect(rows.map((r) => r.text).join(""), text).toBe(text);
                for (const [i, row] of rows.entries()) {
                    expect(stringWidth(row.text), `${text} row ${i}`).toBeLessThanOrEqual(Math.max(width - 1, graphemeWidth(graphemes(row.text)[0] ?? "")));
                    const next = rows[i + 1] != null ? graphemes(rows[i + 1]!.text)[0] : undefined;
                    if (next != null) expect(stringWidth(row.text) + stringWidth(next), `${text} row ${i}`).toBeGreaterThan(width - 1);
                }
            }
        });
});

describe("Markdown's wrapping agrees with string-width", () => {
    for (const width of [6, 10, 17, 30, 60])
        it(`at ${width} columns every line fits and no text is lost`, () => {
            for (const sample of SAMPLES) {
                for (const text of [sample, `- ${sample}`, `> ${sample}`, `**${sample}**`, `\`\`\`\n${sample}\n\`\`\``, `| ${sample} | 表 |\n|---|---|\n| 一 | 二 |`]) {
                    const lines = renderMarkdown(text, {width, level: 1}).split("\n");
                    for (const line of lines) expect(stringWidth(line), `${JSON.stringify(text)}: ${JSON.stringify(stripAnsi(line))}`).toBeLessThanOrEqual(width);
                    // every grapheme of the sample is still there, in order (wrapping moves text, it never drops it)
                    const shown = stripAnsi(lines.join("")).replace(/[\s│─┼•>|-]/g, "");
                    expect(shown, text).toContain(sample.replace(/[\s|]/g, "").slice(0, 12));
                }
            }
        });

    it("a tab after wide text stops at the next 4-column stop, counted in columns", () => {
        const [line] = renderMarkdown("```\n日\tx\n```", {width: 40, level: 0}).split("\n").filter((l) => l.includes("x"));
        const code = line!.slice(line!.indexOf("日"));
        expect(stringWidth(code.slice(0, code.indexOf("x")))).toBe(4);
    });
});

describe("the other columns agree with string-width", () => {
    it("/help's columns: wide names are padded by their width, descriptions wrapped by theirs", () => {
        const rows: [string, string][] = [["/向量 名前", "ベクトルを読み込む とても長い説明文がここに続きます そして折り返されます"], ["/x", "short"]];
        const lines = helpColumns(rows, 30, "  ", 14);
        for (const line of lines) expect(stringWidth(line), line).toBeLessThanOrEqual(30);
        const description = lines[0]!.slice(lines[0]!.indexOf("ベ"));
        expect(stringWidth(lines[0]!) - stringWidth(description)).toBe(2 + 14);
    });

    it("the read-out's shades sit under their tokens' columns", () => {
        const lines = heatMap(["日本", "語", " text", "🎉"], [3, -3, 0, 2], 20);
        for (let i = 0; i < lines.length; i += 2) expect(stringWidth(lines[i + 1]!)).toBe(stringWidth(lines[i]!));
        expect(stringWidth(lines[0]!)).toBe(2 * 3 + 5 + 2);
    });

    it("the panel's names fill their column by width, cut at a grapheme", () => {
        expect(fitName("日本語", 8)).toBe("日本語  ");
        expect(stringWidth(fitName("日本語ベクトル", 8))).toBe(8);
        expect(fitName("日本語ベクトル", 8)).toBe("日本語… ");
        expect(fitToWidth("👨‍👩‍👧‍👦x", 2)).toBe("… ");
        expect(fitName("happy", 8)).toBe("happy   ");
        expect(fitName("abcdefghij", 6)).toBe("abcde…");
    });
});
