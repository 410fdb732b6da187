import {describe, expect, it} from "vitest";
import {seededRandom} from "../../src/random.js";
import {ESC_KEY_FOLLOWED} from "../../src/ui/keyDecoder.js";
import {cleanPaste, createKeySplitter, PASTE_END, PASTE_START, splitTyped} from "../../src/ui/keySplitter.js";

describe("splitting typed input into keys", () => {
    it("Enter that arrives with the text is a key of its own (tmux send-keys, ssh, a fast typist)", () => {
        expect(splitTyped("The dog\r")).toEqual(["The dog", "\r"]);
        expect(splitTyped("one\rtwo\r")).toEqual(["one", "\r", "two", "\r"]);
        // a line feed is Enter too: Ctrl+J, and Enter typed before the terminal was put in raw mode
        expect(splitTyped("hi\n")).toEqual(["hi", "\r"]);
    });

    it("every control key is its own event, so Backspace and Ctrl+C in a burst act in order", () => {
        expect(splitTyped("ab\u007fc")).toEqual(["ab", "\b", "c"]); // DEL (the Backspace key) is handed on as BS
        expect(splitTyped("half\u0003")).toEqual(["half", "\u0003"]);
        expect(splitTyped("a\tb")).toEqual(["a", "\t", "b"]);
    });

    it("an escape sequence is a key of its own, and Esc goes with the Enter or Backspace after it (Alt+Enter)", () => {
        expect(splitTyped("\u001b[3~")).toEqual(["\u001b[3~"]); // the Delete key stays Ink's "delete"
        expect(splitTyped("x\u001b[D!")).toEqual(["x", "\u001b[D", "!"]);
        expect(splitTyped("line\u001b\r")).toEqual(["line", "\u001b\r"]);
        expect(splitTyped("w\u001b\u007f")).toEqual(["w", "\u001b\b"]);
    });
});

describe("bracketed paste", () => {
    it("a paste is one event with its line breaks as text, between the typed keys around it", () => {
        const keys = createKeySplitter();
        expect(keys.push(`x${PASTE_START}first line\rsecond line${PASTE_END}\r`)).toEqual(["x", "first line\nsecond line", "\r"]);
        expect(keys.waiting).toBeUndefined();
    });

    it("reads markers and pastes cut across chunks anywhere", () => {
        const text = `${PASTE_START}one\r\ntwo${PASTE_END}go\r`;
        for (let cut = 1; cut <= text.indexOf("go"); cut++) {
            const keys = createKeySplitter();
            const events = [...keys.push(text.slice(0, cut)), ...keys.push(text.slice(cut))];
            expect(events, `cut at ${cut}`).toEqual(["one\ntwo", "go", "\r"]);
        }
    });

    it("a long paste in many chunks is still one event", () => {
        const keys = createKeySplitter();
        const lines = Array.from({length: 200}, (_, i) => `line ${i}`);
        const text = `${PASTE_START}${lines.join("\r")}${PASTE_END}`;
        const events: string[] = [];
        for (let i = 0; i < text.length; i += 97) events.push(...keys.push(text.slice(i, i + 97)));
        expect(events).toEqual([lines.join("\n")]);
    });

    it("what waits at the end of a chunk is given out by flush: a lone Esc, or a paste whose end never came", () => {
        const keys = createKeySplitter();
        expect(keys.push("\u001b")).toEqual([]);
        expect(keys.waiting).toBe("key");
        expect(keys.flush()).toEqual(["\u001b"]);
        expect(keys.push(`${PASTE_START}abc`)).toEqual([]);
        expect(keys.waiting).toBe("paste");
        expect(keys.flush()).toEqual(["abc"]);
        expect(keys.waiting).toBeUndefined();
        expect(keys.push("z")).toEqual(["z"]);
    });

    it("a stray end marker is dropped, not typed", () => {
        expect(splitTyped(`a${PASTE_END}b`)).toEqual(["ab"]);
    });

    it("a pasted text loses colour codes, control bytes and its trailing line break; tabs become spaces", () => {
        expect(cleanPaste("\u001b[31mred\u001b[0m\tx\u0007\r\n")).toBe("red    x");
        expect(cleanPaste("a\r\rb")).toBe("a\n\nb");
        expect(cleanPaste("\u001b]8;;http://x\u0007link\u001b]8;;\u0007")).toBe("link");
    });
});

const ESC = "\u001b";

/**
 * What Ink 6 reads correctly (its use-input throws on some sequences it half-knows, and types others into the
 * prompt): text with no control or escape in it, one control key, or one of the keys in the forms keyDecoder.ts
 * writes. Written out here, not taken from the code under test.
 */
const LETTER = /^\u001b\[(?:1;[2-8])?[ABCDEFH]$/;
const TILDE = /^\u001b\[(?:2|3|5|6|11|12|13|14|15|17|18|19|20|21|23|24)(?:;[2-8])?~$/;
function inkReads(event: string): boolean {
    if (event === "") return false;
    if (!event.includes(ESC)) return event.length === 1 || !/[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(event);
    return LETTER.test(event) || TILDE.test(event) || /^\u001bO[PQRS]$/.test(event) || event === `${ESC}[Z` || event === ESC || event === ESC_KEY_FOLLOWED ||
        event === `${ESC}\r` || event === `${ESC}\b` || /^\u001b[^\u0000-\u001f\u007f-\u009f\[O\]PX^_\u001b]$/u.test(event);
}

describe("every escape sequence is a key Ink reads, or nothing", () => {
    // [what the terminal sends, the events Ink is given]
    const table: [string, string, string[]][] = [
        ["Ctrl+F1 (xterm), which crashed Ink", "\u001b[1;5P", ["\u001b[11;5~"]],
        ["Ctrl+F2…F4", "\u001b[1;5Q\u001b[1;5R\u001b[1;5S", ["\u001b[12;5~", "\u001b[13;5~", "\u001b[14;5~"]],
        ["F1 in every form is ESC O P", "\u001bOP\u001b[11~\u001b[[A", ["\u001bOP", "\u001bOP", "\u001bOP"]],
        ["Shift+F5 and F12", "\u001b[15;2~\u001b[24~", ["\u001b[15;2~", "\u001b[24~"]],
        ["an unknown key with Ctrl, which crashed Ink", "\u001b[99;5~", []],
        ["F13 and up (Ink would type them)", "\u001b[25~\u001b[34;5~", []],
        ["an SGR mouse press and release", "a\u001b[<0;10;5Mb\u001b[<0;10;5m", ["ab"]],
        ["an X10 mouse report", "\u001b[M !!c", ["c"]],
        ["focus in and out, a cursor report, device attributes", "\u001b[I\u001b[O\u001b[?1;2c\u001b[>0;95;0c", []],
        ["a CSI with intermediates", "\u001b[1 q\u001b[0\"p", []],
        ["a CSI far too long", `\u001b[${"1;".repeat(100)}5A`, []],
        ["an OSC ended by BEL, and by ST", "\u001b]0;pwned\u0007x\u001b]8;;http://a\u001b\\y", ["xy"]],
        ["a DCS, APC and PM", "\u001bPq#0;2\u001b\\\u001b_Gi=1\u001b\\\u001b^m\u001b\\z", ["z"]],
        ["the 8-bit CSI, SS3 and OSC", "\u009b1;5A\u008fP\u009d0;t\u009cok", ["\u001b[1;5A", "\u001bOP", "ok"]],
        ["other C1 controls are dropped", "a\u0085b\u0090c\u009c", ["ab"]],
        ["arrows with modifiers keep them", "\u001b[1;2C\u001b[1;5D\u001b[1;3A", ["\u001b[1;2C", "\u001b[1;5D", "\u001b[1;3A"]],
        ["Alt as a doubled ESC", "\u001b\u001b[A\u001b\u001bOB", ["\u001b[1;3A", "\u001b[1;3B"]],
        ["rxvt's modified keys", "\u001b[a\u001bOd\u001b[3^\u001b[2$", ["\u001b[1;2A", "\u001b[1;5D", "\u001b[3;5~", "\u001b[2;2~"]],
        ["Home and End in every form", "\u001b[1~\u001b[7~\u001bOH\u001b[4~\u001b[8~\u001b[F", ["\u001b[H", "\u001b[H", "\u001b[H", "\u001b[F", "\u001b[F", "\u001b[F"]],
        ["kitty and modifyOtherKeys keys", "\u001b[97;5u\u001b[13;2u\u001b[27;5;13~\u001b[97u\u001b[97;1:3u", ["\u0001", "\u001b\r", "\u001b\r", "a"]],
        ["Shift+Tab", "\u001b[Z", ["\u001b[Z"]],
        ["the keypad in application mode", "\u001bOp\u001bOk\u001bOM", ["0+", "\r"]],
        ["Alt with a character", "\u001bx\u001b \u001bé", ["\u001bx", "\u001b ", "\u001bé"]],
        ["Esc then a control key", "\u001b\u0003", [ESC_KEY_FOLLOWED, "\u0003"]],
        ["invalid UTF-8 as the terminal decodes it, and lone surrogates", "a\ufffdb\ud800c\udc00", ["a\ufffdb\ufffdc\ufffd"]],
        ["a malformed sequence drops only itself", "\u001b[1;\u0003x\u001bO\u0001y", ["\u0003", "x", "\u0001", "y"]]
    ];
    it.each(table)("%s", (_what, input, expected) => {
        const events = splitTyped(input);
        expect(events).toEqual(expected);
        for (const event of events) expect(inkReads(event), JSON.stringify(event)).toBe(true);
    });

    it("a sequence cut anywhere between reads decodes the same", () => {
        const text = "a\u001b[1;5Pb\u001b]0;t\u0007c\u001b[<0;1;2Md\u001bOQe\u001b\u001b[Bf";
        const whole = splitTyped(text);
        // typed text is one event per read: text on both sides of a cut is two events, as two reads of text always were
        const merged = (events: string[]) => events.reduce<string[]>((out, e) => {
            const last = out.at(-1);
            if (last != null && !/[\u0000-\u001f]/.test(last + e)) out[out.length - 1] = last + e;
            else out.push(e);
            return out;
        }, []);
        for (let cut = 1; cut < text.length; cut++) {
            const keys = createKeySplitter();
            const events = [...keys.push(text.slice(0, cut)), ...keys.push(text.slice(cut)), ...keys.flush()];
            expect(merged(events), `cut at ${cut}`).toEqual(whole);
        }
    });

    it("an open sequence waits, and is dropped when nothing completes it", () => {
        const keys = createKeySplitter();
        expect(keys.push("x\u001b[1;5")).toEqual(["x"]);
        expect(keys.waiting).toBe("key");
        expect(keys.flush()).toEqual([]);
        expect(keys.push("]0;title")).toEqual(["]0;title"]); // after the wait, the rest is text again
        expect(keys.push("\u001b]0;never ended")).toEqual([]);
        expect(keys.flush()).toEqual([]);
        expect(keys.waiting).toBeUndefined();
    });

    it("fuzz: random bytes and escape sequences, in random reads, give only events Ink reads, and never throw", () => {
        const random = seededRandom(25);
        const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
        const pieces = ["\u001b", "\u001b[", "\u001bO", "\u001b]", "\u001bP", "\u001b\\", "\u0007", "[", ";", "1", "5", "<", "?", "~", "u", "$", "^",
            "M", "P", "A", "Z", "\r", "\n", "\t", "\u007f", "\u0003", "\u0000", "\u009b", "\u008f", "\u009c", "\u0085", "\ufffd", "\ud83d", "\ude00",
            "😀", "é", "a", " ", PASTE_START, PASTE_END, "200~", "201~", "27;5;13~"];
        for (let round = 0; round < 3000; round++) {
            let input = "";
            const length = 1 + Math.floor(random() * 40);
            for (let i = 0; i < length; i++) input += random() < 0.2 ? String.fromCharCode(Math.floor(random() * 0x100)) : pick(pieces);
            const keys = createKeySplitter();
            const events: string[] = [];
            for (let at = 0; at < input.length;) {
                const size = 1 + Math.floor(random() * 8);
                events.push(...keys.push(input.slice(at, at + size)));
                at += size;
                if (random() < 0.1) events.push(...keys.flush()); // the wait ran out between two reads
            }
            events.push(...keys.flush());
            for (const event of events) {
                if (inkReads(event)) continue;
                // a paste: plain text, line breaks as \n, no other controls
                expect(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(event), `${JSON.stringify(input)} gave ${JSON.stringify(event)}`).toBe(false);
            }
            expect(keys.waiting).toBeUndefined();
        }
    });
});
