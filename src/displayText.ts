/**
 * Text taken from a file (a vector's model hint, a tensor or file name, GGUF metadata, a preset's description) made
 * safe to show in one terminal line: control characters, bidirectional overrides and lone surrogates are escaped
 * (an `ESC[2J` in a hint would clear the screen, a newline in a tensor name would split an error in two), and the
 * length is bounded (a 2 MB hint froze the chat for minutes). Pure; looks at no more of the text than it shows.
 */
const UNSAFE = /^(?:[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udfff])$/;
const NAMED: Record<string, string> = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\u001b": "\\e"};

/** the default bound: enough for a model name or a path, far below what slows a terminal down */
export const DISPLAY_TEXT_LIMIT = 200;

function escape(ch: string): string {
    return NAMED[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** `text` with unsafe characters escaped, cut to at most `limit` characters plus a note of how much was cut. */
export function displayText(text: string, limit = DISPLAY_TEXT_LIMIT): string {
    let out = "";
    let consumed = 0;
    for (const ch of text) {
        const piece = UNSAFE.test(ch) ? escape(ch) : ch;
        if (out.length + piece.length > limit) return `${out}… (${text.length - consumed} more characters)`;
        out += piece;
        consumed += ch.length;
    }
    return out;
}
