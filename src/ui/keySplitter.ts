/**
 * What a terminal sends, split into the keys and pastes it stands for, before Ink sees it. Ink passes each chunk
 * it reads as one input, so "The dog" and Enter that arrive together (tmux send-keys, ssh, a fast typist, keys typed
 * while the model loads) would be one insertion with a line break in it. Here typed text is cut at every control
 * key, so Enter is a key of its own, and a paste comes between the bracketed-paste markers (ESC[200~ … ESC[201~,
 * which a terminal sends once ESC[?2004h asks for them), so its line breaks stay text.
 *
 * Each event is one string for Ink's parser: a run of typed text, one control key, one key in the form Ink reads
 * (keyDecoder.ts: every escape sequence is decoded here, and one that is no key we know never reaches Ink, which
 * throws on some), or one whole paste. A paste is plain text with "\n" line breaks, never a lone "\r": that is the
 * Enter key. Every event is complete in itself, so Ink never joins one with the next.
 * Pure: the caller owns the terminal and the clock (see terminalKeyboard.ts).
 */
import {KeyDecoder, type DecodedToken} from "./keyDecoder.js";

export const PASTE_START = "\u001b[200~";
export const PASTE_END = "\u001b[201~";
export const BRACKETED_PASTE_ON = "\u001b[?2004h";
export const BRACKETED_PASTE_OFF = "\u001b[?2004l";

const DEL = "\u007f";
const BACKSPACE = "\b";

export type KeySplitter = {
    /** the keys and pastes in a chunk, in order; a sequence or marker cut off at the chunk's end waits for the next */
    push(chunk: string): string[],
    /** what waits (a lone Esc, a cut sequence, a paste whose end marker never came): when no input came for a while */
    flush(): string[],
    /** "key": a key or marker may be cut in two; "paste": inside a paste; undefined: nothing waits */
    readonly waiting: "key" | "paste" | undefined
};

/**
 * A control key's byte as Ink should read it. Terminals send DEL for the Backspace key, which Ink names "delete" just
 * like the Delete key (ESC[3~): DEL becomes BS (Ink's "backspace") so the two keys can be told apart. A line feed is
 * Enter too (Ctrl+J, and Enter typed before the terminal was switched to raw mode).
 */
function typedControl(char: string): string {
    if (char === DEL) return BACKSPACE;
    if (char === "\n") return "\r";
    return char;
}

/** A paste's text as it is inserted: line breaks as "\n" (CR LF and CR too), tabs as spaces, no other controls. */
class PasteText {
    private readonly parts: string[] = [];
    private afterCr = false;

    add(token: DecodedToken) {
        const afterCr = this.afterCr;
        this.afterCr = false;
        if (token.kind === "text") this.parts.push(token.text);
        else if (token.kind !== "control") return; // escape sequences in a paste (colours, titles, keys) are dropped
        else if (token.char === "\r") {
            this.parts.push("\n");
            this.afterCr = true;
        } else if (token.char === "\n") {
            if (!afterCr) this.parts.push("\n");
        } else if (token.char === "\t") this.parts.push("    ");
    }

    /** the text, its trailing line breaks dropped */
    text(): string {
        const text = this.parts.join("");
        let end = text.length;
        while (end > 0 && text[end - 1] === "\n") end--;
        return text.slice(0, end);
    }
}

/** Typed text as events, as if it came in one read and nothing followed. */
export function splitTyped(text: string): string[] {
    const keys = createKeySplitter();
    return [...keys.push(text), ...keys.flush()];
}

/** A paste as text to insert: line breaks as "\n" (the trailing one dropped), tabs as spaces, no escapes or control bytes. */
export function cleanPaste(text: string): string {
    const decoder = new KeyDecoder();
    const paste = new PasteText();
    const add = (token: DecodedToken) => paste.add(token);
    decoder.push(text, add);
    decoder.flush(add);
    return paste.text();
}

export function createKeySplitter(): KeySplitter {
    const decoder = new KeyDecoder();
    let paste: PasteText | undefined;
    let events: string[] = [];
    let run = "";
    const endRun = () => {
        if (run !== "") events.push(run);
        run = "";
    };
    const endPaste = () => {
        const text = paste?.text() ?? "";
        if (text !== "") events.push(text);
        paste = undefined;
    };
    const take = (token: DecodedToken) => {
        if (paste != null) {
            if (token.kind === "pasteEnd") endPaste();
            else paste.add(token);
            return;
        }
        switch (token.kind) {
            case "text":
                run += token.text;
                return;
            case "control":
                endRun();
                events.push(typedControl(token.char));
                return;
            case "key":
                endRun();
                events.push(token.sequence);
                return;
            case "pasteStart":
                endRun();
                paste = new PasteText();
                return;
            case "pasteEnd":
                return; // a stray end marker is dropped
        }
    };
    const done = () => {
        endRun();
        const out = events;
        events = [];
        return out;
    };
    return {
        push(chunk) {
            decoder.push(chunk, take);
            return done();
        },
        flush() {
            decoder.flush(take);
            if (paste != null) endPaste();
            return done();
        },
        get waiting() {
            if (paste != null) return "paste";
            return decoder.pending ? "key" : undefined;
        }
    };
}
