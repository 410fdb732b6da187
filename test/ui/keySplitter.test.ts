import {describe, expect, it} from "vitest";
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

    it("leaves escape sequences in the text for Ink's parser, and keeps Esc with the control key after it (Alt+Enter)", () => {
        expect(splitTyped("\u001b[3~")).toEqual(["\u001b[3~"]); // the Delete key stays Ink's "delete"
        expect(splitTyped("x\u001b[D!")).toEqual(["x\u001b[D!"]);
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
