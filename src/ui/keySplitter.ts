/**
 * What a terminal sends, split into the keys and pastes it stands for, before Ink sees it. Ink passes each chunk
 * it reads as one input, so "The dog" and Enter that arrive together (tmux send-keys, ssh, a fast typist, keys typed
 * while the model loads) would be one insertion with a line break in it. Here typed text is cut at every control
 * key, so Enter is a key of its own, and a paste comes between the bracketed-paste markers (ESC[200~ … ESC[201~,
 * which a terminal sends once ESC[?2004h asks for them), so its line breaks stay text.
 *
 * Each event is one string for Ink's parser: a run of typed text (Ink splits escape sequences itself), one control
 * key, or one whole paste. A paste is plain text with "\n" line breaks, never a lone "\r": that is the Enter key.
 * Pure: the caller owns the terminal and the clock (see terminalKeyboard.ts).
 */
export const PASTE_START = "\u001b[200~";
export const PASTE_END = "\u001b[201~";
export const BRACKETED_PASTE_ON = "\u001b[?2004h";
export const BRACKETED_PASTE_OFF = "\u001b[?2004l";

const ESC = "\u001b";
const DEL = "\u007f";
const BACKSPACE = "\b";

export type KeySplitter = {
    /** the keys and pastes in a chunk, in order; the start of a marker cut off at the chunk's end waits for the next */
    push(chunk: string): string[],
    /** what waits (a lone Esc, a cut marker, a paste whose end marker never came): when no input came for a while */
    flush(): string[],
    /** "key": a key or marker may be cut in two; "paste": inside a paste; undefined: nothing waits */
    readonly waiting: "key" | "paste" | undefined
};

const isControl = (ch: string) => (ch < " " && ch !== ESC) || ch === DEL;

/**
 * One key's bytes as Ink should read them. Terminals send DEL for the Backspace key, which Ink names "delete" just
 * like the Delete key (ESC[3~): DEL becomes BS (Ink's "backspace") so the two keys can be told apart. A line feed is
 * Enter too (Ctrl+J, and Enter typed before the terminal was switched to raw mode).
 */
function typedKey(key: string): string {
    if (key === DEL) return BACKSPACE;
    if (key === `${ESC}${DEL}`) return `${ESC}${BACKSPACE}`;
    if (key === "\n") return "\r";
    return key;
}

/** Typed text: runs of text, each control key on its own (an Esc just before a control key belongs to it: Alt+Enter). */
export function splitTyped(text: string): string[] {
    const events: string[] = [];
    let run = "";
    for (const ch of text.split(PASTE_END).join("")) {
        if (!isControl(ch)) {
            run += ch;
            continue;
        }
        let key = ch;
        if (run.endsWith(ESC) && !run.endsWith(ESC + ESC)) {
            run = run.slice(0, -1);
            key = ESC + ch;
        }
        if (run !== "") events.push(run);
        run = "";
        events.push(typedKey(key));
    }
    if (run !== "") events.push(run);
    return events;
}

// CSI (colours, cursor moves), OSC (titles, links) and two-byte escapes that copied terminal output may carry
const ESCAPE_SEQUENCE = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[^[\]]?/g;

/** A paste as text to insert: line breaks as "\n" (the trailing one dropped), tabs as spaces, no escapes or control bytes. */
export function cleanPaste(text: string): string {
    return text.replace(ESCAPE_SEQUENCE, "")
        .replace(/\r\n?/g, "\n")
        .replace(/\t/g, "    ")
        .replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, "")
        .replace(/\n+$/, "");
}

/** how many characters at the end of text could be the start of marker (a proper prefix of it) */
function cutMarkerLength(text: string, marker: string): number {
    for (let n = Math.min(marker.length - 1, text.length); n > 0; n--)
        if (marker.startsWith(text.slice(text.length - n))) return n;
    return 0;
}

export function createKeySplitter(): KeySplitter {
    let held = "";
    let paste: string | undefined;
    const endPaste = (events: string[]) => {
        const text = cleanPaste(paste ?? "");
        if (text !== "") events.push(text);
        paste = undefined;
    };
    return {
        push(chunk) {
            const events: string[] = [];
            let rest = held + chunk;
            held = "";
            while (rest !== "") {
                const marker = paste == null ? PASTE_START : PASTE_END;
                const at = rest.indexOf(marker);
                if (at < 0) {
                    const cut = cutMarkerLength(rest, marker);
                    held = rest.slice(rest.length - cut);
                    rest = rest.slice(0, rest.length - cut);
                    if (paste == null) events.push(...splitTyped(rest));
                    else paste += rest;
                    break;
                }
                if (paste == null) {
                    events.push(...splitTyped(rest.slice(0, at)));
                    paste = "";
                } else {
                    paste += rest.slice(0, at);
                    endPaste(events);
                }
                rest = rest.slice(at + marker.length);
            }
            return events;
        },
        flush() {
            const events: string[] = [];
            if (paste != null) {
                paste += held;
                endPaste(events);
            } else events.push(...splitTyped(held));
            held = "";
            return events;
        },
        get waiting() {
            if (paste != null) return "paste";
            return held !== "" ? "key" : undefined;
        }
    };
}
