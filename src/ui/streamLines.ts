/**
 * Splits a reply being written into the finished lines not yet printed and the live rest. Pure, for useChat: Ink
 * re-measures every character of the live area on each render (and redraws the whole screen once it is taller than
 * the terminal), so finished lines go to <Static> and the live area keeps only the line being written.
 */
export type StreamSplit = {
    /** finished lines to print now (without the last line break), if any */
    finished?: string,
    /** how much of the buffer is printed after this */
    committed: number,
    /** what the live area shows */
    live: string
};

export function splitStream(buffer: string, committed: number): StreamSplit {
    const lastBreak = buffer.lastIndexOf("\n");
    if (lastBreak < committed) return {committed, live: buffer.slice(committed)};
    return {finished: buffer.slice(committed, lastBreak), committed: lastBreak + 1, live: buffer.slice(lastBreak + 1)};
}

/** the last `lines` lines of a text (a reply that stays live, e.g. a /compare candidate) */
export function tailLines(text: string, lines: number): string {
    return text.split("\n").slice(-lines).join("\n");
}
