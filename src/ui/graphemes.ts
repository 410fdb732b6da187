/**
 * Text as a person sees it: graphemes (👍🏽, é written as e + accent, a flag) are one character to move over and to
 * erase, and CJK characters and emoji take two terminal columns. Positions are UTF-16 indexes at grapheme boundaries.
 */
const segmenter = new Intl.Segmenter(undefined, {granularity: "grapheme"});

export function graphemes(text: string): string[] {
    return Array.from(segmenter.segment(text), (s) => s.segment);
}

/** the boundary before index (0 at the start) */
export function previousBoundary(text: string, index: number): number {
    if (index <= 0) return 0;
    return segmenter.segment(text).containing(Math.min(index, text.length) - 1)!.index;
}

/** the boundary after index (text.length at the end) */
export function nextBoundary(text: string, index: number): number {
    if (index >= text.length) return text.length;
    const segment = segmenter.segment(text).containing(Math.max(0, index))!;
    return segment.index + segment.segment.length;
}

/** the grapheme that starts at index ("" at the end) */
export function graphemeAt(text: string, index: number): string {
    return text.slice(index, nextBoundary(text, index));
}

// East Asian Wide and Fullwidth blocks (Hangul Jamo, CJK, kana, Hangul syllables, fullwidth forms, CJK extensions)
const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{20000}-\u{3fffd}]/u;
const EMOJI = /\p{Emoji_Presentation}|\p{Extended_Pictographic}\ufe0f|\p{Regional_Indicator}/u;
const ZERO_WIDTH = /^(?:\p{M}|\p{Cf}|[\u200b-\u200f\u2060\ufeff])+$/u;

/** terminal columns one grapheme takes */
export function graphemeWidth(grapheme: string): number {
    if (grapheme === "" || ZERO_WIDTH.test(grapheme)) return 0;
    if (EMOJI.test(grapheme) || WIDE.test(grapheme)) return 2;
    return 1;
}

export function displayWidth(text: string): number {
    let width = 0;
    for (const g of graphemes(text)) width += graphemeWidth(g);
    return width;
}
