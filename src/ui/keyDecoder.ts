/**
 * What a terminal sends, read as ECMA-48 does: text, C0 controls, and escape sequences (CSI with any parameters and
 * intermediates, SS3, OSC/DCS/SOS/PM/APC strings, their 8-bit C1 forms). The decoder is total: whatever comes in,
 * each piece is either text, a control key, a key in one canonical form Ink's parser reads correctly, a paste
 * marker, or nothing (a sequence that is no key we know is dropped, never handed on). Ink 6 throws on some sequences
 * it half-recognises: a modified F1…F4 (xterm's `ESC[1;5P`), an unknown `ESC[99;5~`; and types others as text
 * (`ESC[<0;10;5M`, a mouse report, became "[<0;10;5M" in the prompt).
 *
 * It reads one character at a time with a little state, so a sequence cut across reads is completed by the next
 * one, and every character is looked at once (a 1 MB paste costs one pass). Pure.
 */
const ESC = "\u001b";
const BEL = "\u0007";
const CAN = "\u0018";
const SUB = "\u001a";
const DEL = "\u007f";

/**
 * The Esc key when more input follows in the same read. Ink waits for more after a lone ESC within one read and
 * would join it with the next key ("\x1b" then "x" reads as Alt+x); the kitty form of Esc (CSI 27 u) is complete
 * on its own, and Ink reads it as the Esc key.
 */
export const ESC_KEY_FOLLOWED = "\u001b[27u";
/** the Esc key at the end of input (nothing followed within the wait) */
export const ESC_KEY = ESC;

export type DecodedToken =
    | {kind: "text", text: string}
    /** one C0 control character (not ESC) or DEL, as typed */
    | {kind: "control", char: string}
    /** a key in the form Ink reads: an escape sequence, Esc, or Alt with a character */
    | {kind: "key", sequence: string}
    | {kind: "pasteStart"}
    | {kind: "pasteEnd"};

type Sink = (token: DecodedToken) => void;

/** xterm modifier bits (the parameter is 1 + bits) that Ink reads: Shift 1, Alt 2, Ctrl 4 */
const SHIFT = 1;
const ALT = 2;
const CTRL = 4;

/**
 * A modifier parameter as the bits Ink knows (Shift, Alt, Ctrl; xterm's Meta 8 and kitty's Meta 32 count as Alt;
 * kitty's Super, Hyper, Caps Lock and Num Lock are not keys here); undefined when it is no modifier parameter.
 */
function modifierBits(parameter: number | undefined): number | undefined {
    if (parameter == null) return 0;
    if (!Number.isInteger(parameter) || parameter < 1 || parameter > 256) return undefined;
    const bits = parameter - 1;
    return (bits & (SHIFT | ALT | CTRL)) | (bits & (8 | 32) ? ALT : 0);
}

/** Home, End, the arrows and the keypad's centre (clear), by their CSI final letter */
function letterKey(letter: string, bits: number): string {
    return bits === 0 ? `${ESC}[${letter}` : `${ESC}[1;${1 + bits}${letter}`;
}

/** F1…F12 by their `ESC[n~` numbers: F1…F4 unmodified as `ESC O P`…`S`, the form every terminal's F1 maps to here */
const FUNCTION_KEY_CODES = [11, 12, 13, 14, 15, 17, 18, 19, 20, 21, 23, 24];

function functionKey(n: number, bits: number): string {
    const code = FUNCTION_KEY_CODES[n - 1]!;
    if (bits !== 0) return `${ESC}[${code};${1 + bits}~`;
    return n <= 4 ? `${ESC}O${"PQRS"[n - 1]}` : `${ESC}[${code}~`;
}

/** the `ESC[n~` keys (VT220 and xterm); undefined for a number that is no key Ink knows (F13 and up) */
function tildeKey(n: number, bits: number): string | undefined {
    if (n === 1 || n === 7) return letterKey("H", bits);
    if (n === 4 || n === 8) return letterKey("F", bits);
    if (n === 2 || n === 3 || n === 5 || n === 6) return bits === 0 ? `${ESC}[${n}~` : `${ESC}[${n};${1 + bits}~`;
    const f = FUNCTION_KEY_CODES.indexOf(n);
    return f < 0 ? undefined : functionKey(f + 1, bits);
}

/**
 * A key given by its character code (kitty's `CSI code ; mods u`, xterm's modifyOtherKeys `CSI 27 ; mods ; code ~`):
 * Enter, Tab, Esc and Backspace as the keys they are; a character as text, with Ctrl as its control character and
 * with Alt as Alt+character. An Enter with a modifier is Alt+Enter, a new line in the prompt.
 */
function codeKey(code: number, bits: number): DecodedToken | undefined {
    const key = (sequence: string): DecodedToken => ({kind: "key", sequence});
    if (code === 13) return bits === 0 ? {kind: "control", char: "\r"} : key(`${ESC}\r`);
    if (code === 9) return bits & SHIFT ? key(`${ESC}[Z`) : {kind: "control", char: "\t"};
    if (code === 27) return key(ESC_KEY_FOLLOWED);
    if (code === 127 || code === 8) return bits & ALT ? key(`${ESC}\b`) : {kind: "control", char: "\b"};
    if (code < 32) return {kind: "control", char: String.fromCharCode(code)};
    // printable characters only: no C1, no surrogates, no private-use codes (kitty's keypad and media keys)
    const within = (low: number, high: number) => code >= low && code <= high;
    if (within(0x7f, 0x9f) || within(0xd800, 0xdfff) || within(0xe000, 0xf8ff) || code > 0x10ffff) return undefined;
    let char = String.fromCodePoint(code);
    if (bits & CTRL) {
        const upper = char.toUpperCase();
        if (upper.length !== 1 || upper < "@" || upper > "_") return undefined;
        return {kind: "control", char: String.fromCharCode(upper.charCodeAt(0) - 64)};
    }
    if (bits & SHIFT) char = char.toUpperCase();
    return bits & ALT ? key(ESC + char) : {kind: "text", text: char};
}

/** a parameter string's numbers (the first sub-parameter of each, kitty's `:` ones aside); undefined when malformed */
function numbers(parameters: string): Array<number | undefined> | undefined {
    if (parameters === "") return [];
    const out: Array<number | undefined> = [];
    for (const part of parameters.split(";")) {
        const first = part.split(":")[0]!;
        if (!/^\d{0,9}$/.test(first)) return undefined;
        out.push(first === "" ? undefined : Number(first));
    }
    return out;
}

/** kitty's event type (the second sub-parameter of the modifiers): 3 is a key release, which is no key press */
const isRelease = (parameters: string) => /^[^;]*;[^;:]*:3(?:;|$)/.test(parameters);

/** A CSI sequence as a token, or undefined: not a key (a mouse report, a terminal's reply, focus in/out, F13…). */
export function csiToken(prefix: string, parameters: string, intermediates: string, final: string, doubled: boolean,
    extraBits = 0): DecodedToken | undefined {
    if (prefix !== "" || intermediates !== "" || isRelease(parameters)) return undefined;
    const ps = numbers(parameters);
    if (ps == null) return undefined;
    const key = (sequence: string | undefined): DecodedToken | undefined => (sequence == null ? undefined : {kind: "key", sequence});
    if (doubled) {
        // the Linux console's F1…F5 (ESC [ [ A…E); PuTTY's ESC [ [ n ~ is the ESC [ n ~ key
        if (ps.length === 0 && final >= "A" && final <= "E") return key(functionKey(final.charCodeAt(0) - 64, extraBits));
        if (final === "~" && ps.length === 1 && ps[0] != null) return key(tildeKey(ps[0], extraBits));
        return undefined;
    }
    // with a modifier, the first parameter is 1 (or empty) for these keys
    const modified = (): number | undefined => {
        if (ps.length === 0) return extraBits;
        if (ps.length !== 2 || (ps[0] != null && ps[0] !== 1)) return undefined;
        const bits = modifierBits(ps[1]);
        return bits == null ? undefined : bits | extraBits;
    };
    if ("ABCDEFH".includes(final)) {
        const bits = modified();
        return bits == null ? undefined : key(letterKey(final, bits));
    }
    if ("PQRS".includes(final)) {
        const bits = modified();
        return bits == null ? undefined : key(functionKey(final.charCodeAt(0) - 79, bits));
    }
    if ("abcd".includes(final) && ps.length === 0) return key(letterKey(final.toUpperCase(), SHIFT | extraBits)); // rxvt Shift+arrow
    if (final === "Z") return key(`${ESC}[Z`); // Shift+Tab
    if (final === "~") {
        if (ps.length === 1 && ps[0] === 200) return {kind: "pasteStart"};
        if (ps.length === 1 && ps[0] === 201) return {kind: "pasteEnd"};
        if (ps.length === 3 && ps[0] === 27 && ps[2] != null) {
            const bits = modifierBits(ps[1]);
            return bits == null ? undefined : codeKey(ps[2], bits | extraBits);
        }
        if (ps.length < 1 || ps.length > 2 || ps[0] == null) return undefined;
        const bits = modifierBits(ps[1]);
        return bits == null ? undefined : key(tildeKey(ps[0], bits | extraBits));
    }
    // rxvt's modified keys: ^ Ctrl, $ Shift, @ Ctrl+Shift
    if ((final === "^" || final === "$" || final === "@") && ps.length === 1 && ps[0] != null)
        return key(tildeKey(ps[0], (final === "^" ? CTRL : final === "$" ? SHIFT : CTRL | SHIFT) | extraBits));
    if (final === "u" && ps.length >= 1 && ps.length <= 3 && ps[0] != null) {
        const bits = modifierBits(ps[1]);
        return bits == null ? undefined : codeKey(ps[0], bits | extraBits);
    }
    return undefined;
}

/** the keypad in application mode (ESC O j…y, X, M, I) as the characters and keys printed on it */
const KEYPAD: Record<string, string> = {j: "*", k: "+", l: ",", m: "-", n: ".", o: "/", X: "=",
    p: "0", q: "1", r: "2", s: "3", t: "4", u: "5", v: "6", w: "7", x: "8", y: "9"};

/** An SS3 sequence (ESC O, with an optional modifier number before the final) as a token, or undefined. */
export function ss3Token(parameters: string, final: string, extraBits = 0): DecodedToken | undefined {
    const bits0 = modifierBits(parameters === "" ? undefined : Number(parameters));
    if (bits0 == null) return undefined;
    const bits = bits0 | extraBits;
    if ("ABCDEFH".includes(final)) return {kind: "key", sequence: letterKey(final, bits)};
    if ("PQRS".includes(final)) return {kind: "key", sequence: functionKey(final.charCodeAt(0) - 79, bits)};
    if ("abcd".includes(final)) return {kind: "key", sequence: letterKey(final.toUpperCase(), CTRL | bits)}; // rxvt Ctrl+arrow
    if (final === "M") return bits & ALT ? {kind: "key", sequence: `${ESC}\r`} : {kind: "control", char: "\r"};
    if (final === "I") return {kind: "control", char: "\t"};
    const char = KEYPAD[final];
    return char == null ? undefined : {kind: "text", text: char};
}

type State =
    | {at: "ground"}
    /** after ESC; `doubled`: after ESC ESC (Alt with an escape sequence, or Esc twice) */
    | {at: "escape", doubled: boolean}
    | {at: "csi", prefix: string, parameters: string, intermediates: string, bracket: boolean, length: number, alt: boolean}
    | {at: "ss3", parameters: string, alt: boolean}
    /** an OSC, DCS, SOS, PM or APC string: everything up to BEL or ST is dropped; `escape`: an ESC was just read */
    | {at: "string", escape: boolean}
    /** an X10 mouse report (ESC [ M and three characters) */
    | {at: "mouse", left: number};

const GROUND: State = {at: "ground"};
/** a CSI longer than this is no key: it is read to its end and dropped */
const CSI_LIMIT = 32;
const STRING_INTRODUCERS = "]PX^_";
/** the 8-bit forms: CSI, SS3, and the string introducers OSC, DCS, SOS, PM, APC */
const C1_CSI = "\u009b";
const C1_SS3 = "\u008f";
const C1_STRINGS = "\u009d\u0090\u0098\u009e\u009f";
const C1_ST = "\u009c";
/** what ends plain text: C0, DEL, C1, and surrogates (to check they are paired) */
const SPECIAL = /[\u0000-\u001f\u007f-\u009f\ud800-\udfff]/g;

const isC0 = (ch: string) => ch < " " || ch === DEL;
const isC1 = (ch: string) => ch >= "\u0080" && ch <= "\u009f";

export class KeyDecoder {
    private state: State = GROUND;

    /** true while a sequence is open (cut at the end of the input so far) */
    get pending(): boolean {
        return this.state.at !== "ground";
    }

    /** the tokens in a chunk; a sequence cut at its end is completed by the next chunk */
    push(chunk: string, emit: Sink): void {
        let i = 0;
        while (i < chunk.length) {
            if (this.state.at === "ground") {
                i = this.text(chunk, i, emit);
                continue;
            }
            const code = chunk.codePointAt(i)!;
            const ch = String.fromCodePoint(code);
            const width = ch.length;
            // a lone surrogate is no character: read as U+FFFD
            const read = code >= 0xd800 && code <= 0xdfff ? "\ufffd" : ch;
            if (this.step(read, emit)) i += width;
        }
    }

    /** the input ended (nothing more came within the wait): a lone Esc is the Esc key, an open sequence is dropped */
    flush(emit: Sink): void {
        const state = this.state;
        this.state = GROUND;
        if (state.at === "escape") emit({kind: "key", sequence: ESC_KEY});
    }

    /** plain text from i up to the next special character, then that character; returns where to go on */
    private text(chunk: string, start: number, emit: Sink): number {
        let i = start;
        let from = start;
        const flushText = (to: number) => {
            if (to > from) emit({kind: "text", text: chunk.slice(from, to)});
        };
        for (;;) {
            SPECIAL.lastIndex = i;
            const match = SPECIAL.exec(chunk);
            if (match == null) {
                flushText(chunk.length);
                return chunk.length;
            }
            const at = match.index;
            const ch = chunk[at]!;
            if (ch >= "\ud800" && ch <= "\udbff" && at + 1 < chunk.length && chunk[at + 1]! >= "\udc00" && chunk[at + 1]! <= "\udfff") {
                i = at + 2; // a surrogate pair: text
                continue;
            }
            flushText(at);
            if (ch >= "\ud800" && ch <= "\udfff") {
                emit({kind: "text", text: "\ufffd"});
                i = from = at + 1;
                continue;
            }
            this.step(ch, emit);
            return at + 1;
        }
    }

    /** one character in the current state; false when it must be read again (in the state it leads to) */
    private step(ch: string, emit: Sink): boolean {
        const state = this.state;
        switch (state.at) {
            case "ground":
                if (ch === ESC) this.state = {at: "escape", doubled: false};
                else if (ch === C1_CSI) this.state = this.csi(false);
                else if (ch === C1_SS3) this.state = {at: "ss3", parameters: "", alt: false};
                else if (C1_STRINGS.includes(ch)) this.state = {at: "string", escape: false};
                else if (isC0(ch)) emit({kind: "control", char: ch});
                else if (isC1(ch)) { /* other C1 controls: no key */ } else emit({kind: "text", text: ch});
                return true;
            case "escape":
                return this.afterEscape(ch, state.doubled, emit);
            case "csi":
                return this.inCsi(ch, state, emit);
            case "ss3":
                if (/\d/.test(ch) && state.parameters.length < 3) {
                    state.parameters += ch;
                    return true;
                }
                this.state = GROUND;
                if (ch >= "@" && ch <= "~") {
                    const token = ss3Token(state.parameters, ch, state.alt ? ALT : 0);
                    if (token) emit(token);
                    return true;
                }
                return false; // malformed: dropped, and the character is read on its own
            case "string":
                if (state.escape) {
                    this.state = GROUND;
                    if (ch === "\\") return true; // ST: the string ends
                    this.state = {at: "escape", doubled: false}; // ESC ended the string and starts a sequence
                    return false;
                }
                if (ch === ESC) state.escape = true;
                else if (ch === BEL || ch === C1_ST || ch === CAN || ch === SUB) this.state = GROUND;
                return true;
            case "mouse":
                if (--state.left === 0) this.state = GROUND;
                return true;
        }
    }

    private csi(alt: boolean): State {
        return {at: "csi", prefix: "", parameters: "", intermediates: "", bracket: false, length: 0, alt};
    }

    private afterEscape(ch: string, doubled: boolean, emit: Sink): boolean {
        const alt = doubled;
        if (ch === "[") {
            this.state = this.csi(alt);
            return true;
        }
        if (ch === "O") {
            this.state = {at: "ss3", parameters: "", alt};
            return true;
        }
        if (ch === ESC) {
            if (doubled) emit({kind: "key", sequence: ESC_KEY_FOLLOWED}); // Esc, Esc, and an ESC still open
            this.state = {at: "escape", doubled: true};
            return true;
        }
        this.state = GROUND;
        if (doubled) {
            emit({kind: "key", sequence: ESC_KEY_FOLLOWED}); // Esc, then ESC with this character
            this.state = {at: "escape", doubled: false};
            return false;
        }
        if (STRING_INTRODUCERS.includes(ch)) {
            this.state = {at: "string", escape: false};
            return true;
        }
        if (ch === "\r" || ch === "\n") emit({kind: "key", sequence: `${ESC}\r`}); // Alt+Enter
        else if (ch === DEL || ch === "\b") emit({kind: "key", sequence: `${ESC}\b`}); // Alt+Backspace
        else if (isC0(ch) || isC1(ch) || ch === "\ufffd") {
            emit({kind: "key", sequence: ESC_KEY_FOLLOWED}); // Esc, then a control key (or a character that is none)
            return false;
        } else emit({kind: "key", sequence: ESC + ch}); // Alt+character
        return true;
    }

    private inCsi(ch: string, state: Extract<State, {at: "csi"}>, emit: Sink): boolean {
        const first = state.length === 0;
        state.length++;
        if (first && ch === "[") {
            state.bracket = true; // the Linux console's ESC [ [ A
            state.length = 0;
            return true;
        }
        if (first && "<=>?".includes(ch)) {
            state.prefix = ch;
            return true;
        }
        if (ch >= "0" && ch <= "?" && state.intermediates === "") {
            if (state.length <= CSI_LIMIT) state.parameters += ch;
            return true;
        }
        // rxvt's Shift+key: ESC [ n $ (a `$` after a plain number ends the key; elsewhere it is an intermediate)
        if (ch === "$" && state.prefix === "" && /^\d+$/.test(state.parameters) && state.intermediates === "") {
            this.state = GROUND;
            this.finishCsi(state, "$", emit);
            return true;
        }
        if (ch >= " " && ch <= "/") {
            if (state.length <= CSI_LIMIT) state.intermediates += ch;
            return true;
        }
        this.state = GROUND;
        if (ch >= "@" && ch <= "~") {
            if (ch === "M" && first && !state.bracket) this.state = {at: "mouse", left: 3}; // X10 mouse: three bytes follow
            else this.finishCsi(state, ch, emit);
            return true;
        }
        return false; // malformed (a control or a character inside): the sequence is dropped, the character read on its own
    }

    private finishCsi(state: Extract<State, {at: "csi"}>, final: string, emit: Sink) {
        if (state.length > CSI_LIMIT) return;
        const token = csiToken(state.prefix, state.parameters, state.intermediates, final, state.bracket, state.alt ? ALT : 0);
        if (token) emit(token);
    }
}
