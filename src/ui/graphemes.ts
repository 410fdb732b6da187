/**
 * Text as a person sees it: graphemes (👍🏽, é written as e + accent, a flag) are one character to move over and to
 * erase, and CJK characters and emoji take two terminal columns. Positions are UTF-16 indexes at grapheme boundaries.
 * Boundaries are Intl.Segmenter's (walked in windows, below); widths are string-width's, the measure Ink lays text
 * out by, so our wrapping and the terminal's agree.
 */
import stringWidth from "string-width";

const segmenter = new Intl.Segmenter(undefined, {granularity: "grapheme"});

/**
 * V8's Intl.Segmenter costs time in proportion to the whole string for every segment it steps over (and for each
 * `containing` call), so walking a 1 MB prompt with it took minutes: quadratic. Text is segmented here in short
 * windows instead, each starting at a known boundary, which is exact: whether a boundary falls before a character
 * depends only on the text before it and on that character, so every boundary inside a window is a true one except
 * the window's own end (the last segment of a window is read again at the start of the next). ASCII, most text,
 * needs no segmenter at all.
 */
const WINDOW = 64;
/** how far back a boundary is looked for before starting from the text's start (see safeStart) */
const LOOK_BACK = 1024;

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/** the end of the grapheme starting at `start` when ASCII settles it alone, else -1 */
function asciiEnd(text: string, start: number): number {
    const code = text.charCodeAt(start);
    if (code >= 0x80) return -1;
    if (start + 1 >= text.length) return start + 1;
    const next = text.charCodeAt(start + 1);
    if (code === 13 && next === 10) return start + 2; // CR LF
    // after a control always a boundary; between two ASCII characters too (none extends or prepends)
    return code < 0x20 || code === 0x7f || next < 0x80 ? start + 1 : -1;
}

/**
 * The boundaries from `start` (which must be one) on: each grapheme's end in turn, until `stop` returns true for an
 * end or the text ends. Linear in the text walked.
 */
function walk(text: string, start: number, stop: (end: number, start: number) => boolean): void {
    let at = start;
    while (at < text.length) {
        const end = asciiEnd(text, at);
        if (end >= 0) {
            if (stop(end, at)) return;
            at = end;
            continue;
        }
        for (let size = WINDOW; ; size *= 2) {
            let windowEnd = Math.min(text.length, at + size);
            if (windowEnd < text.length && isHighSurrogate(text.charCodeAt(windowEnd - 1))) windowEnd++; // never half a pair
            const segments = Array.from(segmenter.segment(text.slice(at, windowEnd)), (s) => s.index);
            const whole = windowEnd === text.length;
            if (segments.length < 2 && !whole) continue; // one grapheme longer than the window: a wider one
            // every segment but the window's last is sure; the last one is read again from its start
            const sure = whole ? segments.length : segments.length - 1;
            for (let k = 0; k < sure; k++) {
                const segmentStart = at + segments[k]!;
                const segmentEnd = k + 1 < segments.length ? at + segments[k + 1]! : windowEnd;
                if (stop(segmentEnd, segmentStart)) return;
            }
            at = whole ? windowEnd : at + segments[sure]!;
            break;
        }
    }
}

/**
 * A boundary at or before index, near it: the text's start, just after a line feed, or between two ASCII characters
 * (not CR LF). Looks back at most LOOK_BACK characters, then takes the line's start (only a long stretch without
 * ASCII goes so far: the walk from there is linear, once per key).
 */
function safeStart(text: string, index: number): number {
    const limit = Math.max(0, index - LOOK_BACK);
    for (let p = Math.min(index, text.length); p > limit; p--) {
        const before = text.charCodeAt(p - 1);
        if (before === 10) return p;
        const after = p < text.length ? text.charCodeAt(p) : 0;
        if (before < 0x80 && after < 0x80 && !(before === 13 && after === 10)) return p;
    }
    return limit === 0 ? 0 : text.lastIndexOf("\n", limit - 1) + 1;
}

export function graphemes(text: string): string[] {
    const out: string[] = [];
    walk(text, 0, (end, start) => {
        out.push(text.slice(start, end));
        return false;
    });
    return out;
}

/** Each grapheme from `start` (a boundary) on, with where it starts; stops when `visit` returns true. Linear. */
export function eachGrapheme(text: string, start: number, visit: (grapheme: string, at: number) => boolean | void): void {
    walk(text, start, (end, at) => visit(text.slice(at, end), at) === true);
}

/** the boundary before index (0 at the start) */
export function previousBoundary(text: string, index: number): number {
    if (index <= 0) return 0;
    const target = Math.min(index, text.length);
    let found = 0;
    walk(text, safeStart(text, target - 1), (end, start) => {
        found = start;
        return end >= target;
    });
    return found;
}

/** the boundary after index (text.length at the end) */
export function nextBoundary(text: string, index: number): number {
    if (index >= text.length) return text.length;
    const target = Math.max(0, index);
    let found = text.length;
    walk(text, safeStart(text, target), (end) => {
        found = end;
        return end > target;
    });
    return found;
}

/** the grapheme that starts at index ("" at the end) */
export function graphemeAt(text: string, index: number): string {
    return text.slice(index, nextBoundary(text, index));
}

/** widths of graphemes seen (string-width segments and matches each call: a long CJK paste repeats few graphemes) */
const widths = new Map<string, number>();
const MAX_REMEMBERED = 4096;

/**
 * Terminal columns one grapheme takes, as string-width counts them (what Ink measures and wraps by): CJK and emoji
 * 2, combining marks and zero-width characters 0.
 */
export function graphemeWidth(grapheme: string): number {
    if (grapheme.length === 1 && grapheme >= " " && grapheme < "\u007f") return 1;
    let width = widths.get(grapheme);
    if (width == null) {
        if (widths.size >= MAX_REMEMBERED) widths.clear();
        widths.set(grapheme, width = stringWidth(grapheme));
    }
    return width;
}

/** Terminal columns `text` takes (string-width's count; ANSI escapes take none). */
export function displayWidth(text: string): number {
    return stringWidth(text);
}

/** `text` in exactly `width` columns: padded with spaces, or cut at a grapheme and ended with "…" when wider. */
export function fitToWidth(text: string, width: number): string {
    const used = displayWidth(text);
    if (used <= width) return text + " ".repeat(width - used);
    let out = "";
    let taken = 0;
    eachGrapheme(text, 0, (g) => {
        const w = graphemeWidth(g);
        if (taken + w > width - 1) return true;
        out += g;
        taken += w;
    });
    return `${out}…${" ".repeat(Math.max(0, width - 1 - taken))}`;
}
