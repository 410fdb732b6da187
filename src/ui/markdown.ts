/**
 * A chat reply's Markdown drawn for the terminal: text + width → lines with ANSI styles. Pure.
 *
 * Line by line on purpose: a reply streams, and its finished lines go to Ink's <Static> as they come (streamLines.ts),
 * so each source line must draw the same alone as in the whole reply. The one thing carried from line to line is the
 * code fence left open (`openFence`, its opening line), which a part of a reply is drawn under. Blocks: fenced code
 * (kept verbatim, tabs expanded, in a dim frame; no syntax colours), headings, lists, quotes, rules and pipe tables
 * (a run of `|` rows, aligned when it fits). Inline spans (bold, emphasis, code, links, strike-through) come from
 * marked's inline lexer. Soft line breaks stay line breaks, as the model wrote them.
 *
 * With colour off (level 0: NO_COLOR, or not a colour terminal) the inline text stays as written (`**bold**` keeps its
 * stars, which then say what colour would have), and only the layout remains: bullets, frames, wrapping.
 */
import {Chalk, type ChalkInstance} from "chalk";
import chalk from "chalk";
import {Lexer, type Token} from "marked";
import {displayWidth, graphemes, graphemeWidth} from "./graphemes.js";

export type MarkdownOptions = {
    /** terminal columns to wrap at */
    width: number,
    /** chalk's colour level (0: none); chalk's own (which NO_COLOR turns to 0, see bin/steer-chat.js) if not given */
    level?: 0 | 1 | 2 | 3,
    /** the opening line of a code fence open where `text` starts (a part of a reply that began inside a code block) */
    openFence?: string
};

type Style = {bold?: boolean, italic?: boolean, strike?: boolean, code?: boolean, link?: boolean, underline?: boolean, dim?: boolean};
type Run = {text: string, style: Style};

const FENCE = /^(\s*)(`{3,}(?=[^`]*$)|~{3,})(.*)$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const LIST_ITEM = /^(\s*)([-*+]|\d{1,9}[.)])[ \t]+(.*)$/;
const TABLE_ROW = /^\s*\|.*\|\s*$/;
const TABLE_DELIMITER = /^\s*\|?(?:\s*:?-+:?\s*\|)+\s*(?::?-+:?\s*)?\|?\s*$/;

/** the fence a line opens, if it opens one */
function opensFence(line: string): {indent: number, marker: string, info: string} | undefined {
    const m = FENCE.exec(line);
    return m ? {indent: expandTabs(m[1]!).length, marker: m[2]!, info: m[3]!.trim()} : undefined;
}

/** whether `line` closes the fence opened by `open` (same character, at least as long, nothing after it) */
function closesFence(line: string, open: string): boolean {
    const marker = opensFence(open)?.marker ?? "```";
    const m = /^\s*(`{3,}|~{3,})\s*$/.exec(line);
    return m != null && m[1]![0] === marker[0] && m[1]!.length >= marker.length;
}

/** the code fence open after `text` (its opening line), given the one open before it */
export function fenceAfter(text: string, openFence?: string): string | undefined {
    let fence = openFence;
    for (const line of text.split("\n")) {
        if (fence != null) {
            if (closesFence(line, fence)) fence = undefined;
        } else if (opensFence(line)) fence = line;
    }
    return fence;
}

/**
 * Where a run of table rows at the end of `text` starts (an index into it), or undefined: a table is drawn aligned as
 * a whole, so a reply being written holds its rows back until a line that is not a row ends the table.
 */
export function trailingTableStart(text: string, openFence?: string): number | undefined {
    const lines = text.split("\n");
    let fence = openFence;
    let start: number | undefined;
    let offset = 0;
    for (const line of lines) {
        if (fence != null) {
            if (closesFence(line, fence)) fence = undefined;
            start = undefined;
        } else if (opensFence(line)) {
            fence = line;
            start = undefined;
        } else if (TABLE_ROW.test(line)) start ??= offset;
        else start = undefined;
        offset += line.length + 1;
    }
    return start;
}

/** tabs to spaces at stops of 4 columns, counted in display width (a CJK character before a tab takes two) */
function expandTabs(text: string): string {
    if (!text.includes("\t")) return text;
    let out = "";
    let column = 0;
    for (const g of graphemes(text)) {
        const w = g === "\t" ? 4 - (column % 4) : graphemeWidth(g);
        out += g === "\t" ? " ".repeat(w) : g;
        column += w;
    }
    return out;
}

function paint(c: ChalkInstance, {text, style}: Run): string {
    let p = c;
    if (style.bold) p = p.bold;
    if (style.italic) p = p.italic;
    if (style.strike) p = p.strikethrough;
    if (style.underline) p = p.underline;
    if (style.dim) p = p.dim;
    if (style.code) p = p.cyan;
    if (style.link) p = p.blue.underline;
    return style === PLAIN ? text : p(text);
}

const PLAIN: Style = {};

/** marked's inline tokens as styled runs */
function inlineRuns(tokens: readonly Token[], style: Style, out: Run[] = []): Run[] {
    for (const token of tokens) {
        switch (token.type) {
            case "strong": inlineRuns(token.tokens ?? [], {...style, bold: true}, out); break;
            case "em": inlineRuns(token.tokens ?? [], {...style, italic: true}, out); break;
            case "del": inlineRuns(token.tokens ?? [], {...style, strike: true}, out); break;
            case "codespan": out.push({text: token.text as string, style: {...style, code: true}}); break;
            case "br": out.push({text: " ", style}); break;
            case "link": {
                inlineRuns(token.tokens ?? [], {...style, link: true}, out);
                const href = token.href as string;
                if (href !== token.text && `mailto:${token.text as string}` !== href) out.push({text: ` (${href})`, style: {...style, dim: true}});
                break;
            }
            case "image": out.push({text: `[image: ${(token.text as string) || (token.href as string)}]`, style: {...style, dim: true}}); break;
            case "text":
                if ("tokens" in token && token.tokens) inlineRuns(token.tokens, style, out);
                else out.push({text: token.text as string, style});
                break;
            default: out.push({text: ("text" in token ? token.text as string : undefined) ?? token.raw, style});
        }
    }
    return out;
}

function inline(text: string, style: Style, level: number): Run[] {
    if (level === 0 || text === "") return [{text, style}];
    return inlineRuns(Lexer.lexInline(text), style);
}

type Word = Run[];

/** neighbouring runs of one style as one (fewer escape sequences) */
function merged(runs: readonly Run[]): Run[] {
    const out: Run[] = [];
    for (const run of runs) {
        const last = out[out.length - 1];
        if (last?.style === run.style) out[out.length - 1] = {text: last.text + run.text, style: run.style};
        else out.push(run);
    }
    return out;
}

/** runs split into words (a word may span runs: "**bold**," is one word of two runs) */
function words(runs: readonly Run[]): Word[] {
    const out: Word[] = [];
    let word: Word = [];
    for (const run of runs) {
        for (const part of run.text.split(/(\s+)/)) {
            if (part === "") continue;
            if (/^\s+$/.test(part)) {
                if (word.length > 0) out.push(word);
                word = [];
            } else word.push({text: part, style: run.style});
        }
    }
    if (word.length > 0) out.push(word);
    return out;
}

const wordWidth = (word: Word) => word.reduce((w, r) => w + displayWidth(r.text), 0);

/** a word too wide for a line, in pieces that fit: the first in `width`, the rest in `restWidth` (their lines' room) */
function breakWord(word: Word, width: number, restWidth = width): Word[] {
    const pieces: Word[] = [];
    let piece: Word = [];
    let used = 0;
    for (const run of word) {
        let text = "";
        for (const g of graphemes(run.text)) {
            const w = graphemeWidth(g);
            if (used + w > (pieces.length === 0 ? width : restWidth) && used > 0) {
                if (text !== "") piece.push({text, style: run.style});
                pieces.push(piece);
                piece = [];
                text = "";
                used = 0;
            }
            text += g;
            used += w;
        }
        if (text !== "") piece.push({text, style: run.style});
    }
    if (piece.length > 0) pieces.push(piece);
    return pieces;
}

/** styled runs wrapped at word boundaries into lines of `width` columns: the first after `first`, the rest after `rest` */
function wrap(runs: readonly Run[], width: number, first: string, rest: string, c: ChalkInstance): string[] {
    const lines: Run[][] = [];
    let line: Run[] = [];
    let used = 0;
    const room = (n: number) => Math.max(1, width - displayWidth(n === 0 ? first : rest));
    for (const word of words(runs)) {
        const w = wordWidth(word);
        if (line.length > 0 && used + 1 + w <= room(lines.length)) {
            // the space takes the style around it, so an underlined or struck-through phrase is one line, not words
            const before = line[line.length - 1]!.style;
            line.push({text: " ", style: before === word[0]!.style ? before : PLAIN}, ...word);
            used += 1 + w;
            continue;
        }
        if (line.length > 0) {
            lines.push(line);
            line = [];
            used = 0;
        }
        const pieces = w > room(lines.length) ? breakWord(word, room(lines.length), room(lines.length + 1)) : [word];
        for (const [i, piece] of pieces.entries()) {
            if (i > 0) lines.push(line);
            line = [...piece];
            used = wordWidth(piece);
        }
    }
    lines.push(line);
    const dimmed = (prefix: string) => (prefix.trim() === "" ? prefix : prefix.replace(/\S.*\S|\S/, (p) => c.dim(p)));
    return lines.map((runsOfLine, i) => (i === 0 ? dimmed(first) : dimmed(rest)) + merged(runsOfLine).map((r) => paint(c, r)).join(""));
}

/** a code line under a fence opened at `indent`, verbatim in a frame (too wide: carried on to the next row) */
function codeLines(line: string, indent: number, width: number, c: ChalkInstance): string[] {
    let code = expandTabs(line);
    const strip = Math.min(indent, /^ */.exec(code)![0].length);
    code = code.slice(strip);
    const frame = " ".repeat(indent) + "│ ";
    const pieces = code === "" ? [[]] : breakWord([{text: code, style: PLAIN}], Math.max(1, width - displayWidth(frame)));
    return pieces.map((piece) => c.dim(frame) + piece.map((r) => r.text).join(""));
}

function cellsOf(row: string): string[] {
    const inner = row.trim().replace(/^\|/, "").replace(/\|$/, "");
    return inner.split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, "|"));
}

/** a run of pipe rows: aligned in columns when they fit the width, else each row's cells one after another */
function tableLines(rows: readonly string[], width: number, level: number, c: ChalkInstance): string[] {
    const delimiterAt = rows.findIndex((r) => TABLE_DELIMITER.test(r));
    const align = delimiterAt >= 0 ? cellsOf(rows[delimiterAt]!).map((d) => (d.endsWith(":") ? (d.startsWith(":") ? "center" : "right") : "left")) : [];
    const body = rows.map((row, i) => ({header: delimiterAt > 0 && i < delimiterAt, delimiter: i === delimiterAt,
        cells: i === delimiterAt ? [] : cellsOf(row).map((cell) => inline(cell, i < delimiterAt ? {bold: true} : PLAIN, level))}));
    const columns = Math.max(...body.map((r) => r.cells.length));
    const widths = Array.from({length: columns}, (_, k) => Math.max(1, ...body.map((r) => (r.cells[k] ? wordWidth(r.cells[k]) : 0))));
    const total = widths.reduce((a, b) => a + b, 0) + 3 * (columns - 1);
    const sep = c.dim(" │ ");
    if (total > width) {
        return body.filter((r) => !r.delimiter).flatMap((r) => wrap(r.cells.flatMap((cell, k) => (k > 0 ? [{text: " │ ", style: {dim: true}}, ...cell] : cell)),
            width, "", "  ", c));
    }
    return body.map((r) => {
        if (r.delimiter) return c.dim(widths.map((w) => "─".repeat(w)).join("─┼─"));
        return widths.map((w, k) => {
            const cell = r.cells[k] ?? [];
            const pad = w - wordWidth(cell);
            const left = align[k] === "right" ? pad : align[k] === "center" ? Math.floor(pad / 2) : 0;
            return " ".repeat(left) + cell.map((run) => paint(c, run)).join("") + (k < columns - 1 ? " ".repeat(pad - left) : "");
        }).join(sep).trimEnd();
    });
}

/** Markdown text drawn for a terminal `width` columns wide: the lines, joined by line breaks. */
export function renderMarkdown(text: string, {width, level = chalk.level, openFence}: MarkdownOptions): string {
    const c = new Chalk({level});
    const lines = text.split("\n");
    const out: string[] = [];
    let fence = openFence;
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!;
        if (fence != null) {
            const indent = opensFence(fence)?.indent ?? 0;
            if (closesFence(line, fence)) {
                out.push(c.dim(" ".repeat(indent) + "└─"));
                fence = undefined;
            } else out.push(...codeLines(line, indent, width, c));
            continue;
        }
        const opened = opensFence(line);
        if (opened) {
            fence = line;
            out.push(c.dim(" ".repeat(opened.indent) + "┌─" + (opened.info !== "" ? ` ${opened.info}` : "")));
            continue;
        }
        if (TABLE_ROW.test(line)) {
            let end = i;
            while (end + 1 < lines.length && TABLE_ROW.test(lines[end + 1]!)) end++;
            out.push(...tableLines(lines.slice(i, end + 1), width, level, c));
            i = end;
            continue;
        }
        if (line.trim() === "") {
            out.push("");
            continue;
        }
        const heading = HEADING.exec(line);
        if (heading && level > 0) {
            out.push(...wrap(inline(heading[2] ?? "", {bold: true, underline: heading[1]!.length === 1}, level), width, "", "", c));
            continue;
        }
        if (RULE.test(line)) {
            out.push(c.dim("─".repeat(Math.max(1, Math.min(width, 40)))));
            continue;
        }
        const quote = QUOTE.exec(line);
        if (quote) {
            out.push(...wrap(inline(quote[1]!, {italic: true}, level), width, "│ ", "│ ", c));
            continue;
        }
        const item = LIST_ITEM.exec(line);
        if (item) {
            const indent = expandTabs(item[1]!);
            const bullet = /\d/.test(item[2]!) ? item[2]! : "•";
            out.push(...wrap(inline(item[3]!, PLAIN, level), width, `${indent}${bullet} `, " ".repeat(indent.length + bullet.length + 1), c));
            continue;
        }
        // a line's indent is kept, and its wrapped rows keep it too when it says something (a list item's next line);
        // the one space a model's reply may start with does not become a hanging indent
        const lead = expandTabs(/^\s*/.exec(line)![0]);
        out.push(...wrap(inline(line.trim(), PLAIN, level), width, lead, lead.length >= 2 ? lead : "", c));
    }
    return out.join("\n");
}
