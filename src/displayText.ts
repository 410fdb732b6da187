/**
 * The one rule for text steer-chat did not write itself (from a file, a name, a path, or the model) on its way to a
 * terminal: control characters (C0, DEL, C1, ESC), bidirectional overrides, line and paragraph separators and lone
 * surrogates are shown as visible escapes (`\e`, `\n`, `\u009b`…) instead of being sent. An `ESC[2J` in a hint would
 * clear the screen, an OSC in a preset's vector reference retitled the terminal, a model's token could do either from
 * a reply, and a newline in a tensor name split an error in two.
 * - displayText: one line (line breaks and tabs escaped too), bounded: a 2 MB hint froze the chat for minutes.
 * - displayLines: many lines (a reply, a note): line breaks and tabs kept, where they belong; no bound.
 * - displayQuoted: a name or a token in quotes, `"` and `\` escaped as well.
 * - forTerminal: what a command prints where a script may read it: escaped on a terminal, exact on a pipe or file.
 * Pure; displayText looks at no more of the text than it shows.
 */
const UNSAFE = /^(?:[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udfff])$/;
/** UNSAFE in a text, line feeds and tabs excepted (a surrogate only when it is not half of a pair) */
const UNSAFE_IN_LINES =
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const NAMED: Record<string, string> = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\u001b": "\\e"};

/** the default bound: enough for a model name or a path, far below what slows a terminal down */
export const DISPLAY_TEXT_LIMIT = 200;

function escape(ch: string): string {
    return NAMED[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** `text` with unsafe characters escaped, cut to at most `limit` characters plus a note of how much was cut. */
export function displayText(text: string, limit = DISPLAY_TEXT_LIMIT): string {
    return shown(text, limit, (ch) => (UNSAFE.test(ch) ? escape(ch) : ch));
}

/** `text` in double quotes, escaped as displayText does and `"` and `\` too: a name or a token, its ends visible. */
export function displayQuoted(text: string, limit = 64): string {
    return `"${shown(text, limit, (ch) => (UNSAFE.test(ch) ? escape(ch) : ch === "\"" || ch === "\\" ? `\\${ch}` : ch))}"`;
}

function shown(text: string, limit: number, piece: (ch: string) => string): string {
    let out = "";
    let consumed = 0;
    for (const ch of text) {
        const p = piece(ch);
        if (out.length + p.length > limit) return `${out}… (${text.length - consumed} more characters)`;
        out += p;
        consumed += ch.length;
    }
    return out;
}

/** `text` of many lines with unsafe characters escaped, its line breaks (CR LF as one) and tabs kept. Linear. */
export function displayLines(text: string): string {
    UNSAFE_IN_LINES.lastIndex = 0;
    if (!UNSAFE_IN_LINES.test(text)) return text;
    return text.replace(/\r\n/g, "\n").replace(UNSAFE_IN_LINES, escape);
}

/** text for an output stream: escaped (displayLines) when it is a terminal, unchanged for a pipe or a file */
export function forTerminal(text: string, stream: {isTTY?: boolean}): string {
    return stream.isTTY === true ? displayLines(text) : text;
}
