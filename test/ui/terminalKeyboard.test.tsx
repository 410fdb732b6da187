/**
 * The chat's keyboard (src/ui/terminalKeyboard.ts) between a terminal and Ink: the real Ink reads it, as in the
 * chat, with the App on an in-memory Conversation. Each `tty.type` is one chunk, as a pty read delivers it, so these
 * are the cases a person at a terminal meets: Enter that comes with the text, a bracketed paste, Backspace and
 * Delete, keys typed before the chat opened. The terminal's mode is put back on every way out.
 */
import {spawnSync} from "node:child_process";
import path from "node:path";
import React from "react";
import {render, useInput, type Key} from "ink";
import {afterEach, describe, expect, it, vi} from "vitest";
import {seededRandom} from "../../src/random.js";
import {App} from "../../src/ui/App.js";
import {PromptLine} from "../../src/ui/components/PromptLine.js";
import {PromptHistory} from "../../src/ui/promptHistory.js";
import {ChatSession} from "../../src/session/chatSession.js";
import {PresetNamePrompt} from "../../src/ui/components/Overlays.js";
import {BRACKETED_PASTE_OFF, BRACKETED_PASTE_ON, PASTE_END, PASTE_START} from "../../src/ui/keySplitter.js";
import {KEY_WAIT_MS, PASTE_WAIT_MS, TerminalKeyboard} from "../../src/ui/terminalKeyboard.js";
import {FakeConversation} from "../helpers/fakeConversation.js";
import {EffectFlush, FakeStdout, FakeTty, inAct, Recorder, settle, waitForFrame} from "../helpers/ink.js";
import {repoRoot} from "../helpers/steeringTestKit.js";

let cleanup: (() => void) | undefined;
afterEach(() => {
    vi.useRealTimers();
    cleanup?.();
    cleanup = undefined;
});

function keyboard(onInterrupt = () => undefined) {
    const tty = new FakeTty();
    const terminal = new Recorder();
    const board = new TerminalKeyboard(tty, terminal, onInterrupt).start();
    return {tty, terminal, board};
}

/** renders a tree reading from a keyboard, as the chat does (in act: its inputs are on when this returns) */
async function renderOn(tree: React.ReactElement, {tty, board} = keyboard()) {
    const stdout = new FakeStdout();
    let instance: ReturnType<typeof render> | undefined;
    await inAct(() => {
        instance = render(<>{tree}<EffectFlush /></>, {stdout: stdout as unknown as NodeJS.WriteStream,
            stdin: board as unknown as NodeJS.ReadStream, debug: true, exitOnCtrlC: false, patchConsole: false});
    });
    cleanup = () => {
        instance?.unmount();
        board.stop();
    };
    return {tty, lastFrame: stdout.lastFrame};
}

async function startChat(conversation = new FakeConversation(), existing = keyboard(), history?: PromptHistory) {
    const {tty, lastFrame} = await renderOn(<App session={new ChatSession({conversation, modelName: "tiny-model.gguf"})} history={history} />, existing);
    await waitForFrame(lastFrame, (f) => f.includes("Type a message"));
    await settle();
    return {tty, conversation, lastFrame};
}

const until = async (check: () => boolean, what: string) => {
    const deadline = Date.now() + 10_000;
    while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 20)); // the polling interval
    }
};

describe("the chat's keyboard", () => {
    it("text and Enter in one chunk send the text", async () => {
        const {tty, conversation, lastFrame} = await startChat();
        tty.type("The dog\r");
        await until(() => conversation.sent.length === 1, "the prompt to be sent");
        expect(conversation.sent).toEqual(["The dog"]);
        await waitForFrame(lastFrame, (f) => f.includes("Hello there!"));
        tty.type("one\rtwo\r"); // two lines typed at once (a burst over ssh): both are sent, the second after the first reply
        await until(() => conversation.sent.length === 3, "both prompts");
        expect(conversation.sent).toEqual(["The dog", "one", "two"]);
    });

    it("a bracketed paste of two lines stays on the prompt as two lines, and Enter sends both as one message", async () => {
        const {tty, conversation, lastFrame} = await startChat();
        tty.type(`${PASTE_START}first line\rsecond line${PASTE_END}`);
        const frame = await waitForFrame(lastFrame, (f) => f.includes("second line"));
        expect(frame).toMatch(/› first line\n\s+second line/);
        // a key typed after the paste lands on its second line: the paste's line break sent nothing
        tty.type("!");
        await waitForFrame(lastFrame, (f) => f.includes("second line!"));
        expect(conversation.sent).toEqual([]);
        tty.type("\r");
        await until(() => conversation.sent.length === 1, "the paste to be sent");
        expect(conversation.sent).toEqual(["first line\nsecond line!"]);
    });

    it("a paste whose markers and text come in several chunks is still one paste", async () => {
        const {tty, conversation, lastFrame} = await startChat();
        for (const chunk of ["\u001b[20", "0~a\r", "b\u001b[2", "01~"]) tty.type(chunk);
        await waitForFrame(lastFrame, (f) => /› a\n\s+b/.test(f));
        tty.type("\r");
        await until(() => conversation.sent.length === 1, "the paste to be sent");
        expect(conversation.sent).toEqual(["a\nb"]);
    });

    it("a long paste shows the rows around the cursor and says how many more there are; Enter sends every line", async () => {
        const {tty, conversation, lastFrame} = await startChat();
        const lines = Array.from({length: 30}, (_, i) => `pasted line ${i}`);
        tty.type(`${PASTE_START}${lines.join("\r")}${PASTE_END}`);
        const frame = await waitForFrame(lastFrame, (f) => f.includes("pasted line 29"));
        expect(frame).toContain("… 22 more rows above");
        expect(frame).not.toContain("pasted line 21\n");
        tty.type("\r");
        await until(() => conversation.sent.length === 1, "the paste to be sent");
        expect(conversation.sent).toEqual([lines.join("\n")]);
    });

    it("the preset dialog: a name and Enter in one chunk go on to the description; a pasted line break there becomes a space", async () => {
        const saved: string[] = [];
        const onSave = (name: string, description: string) => saved.push(`${name}|${description}`);
        const first = await renderOn(<PresetNamePrompt onSave={onSave} onClose={() => undefined} />);
        await waitForFrame(first.lastFrame, (f) => f.includes("name:"));
        first.tty.type("calm\r");
        await waitForFrame(first.lastFrame, (f) => f.includes("name: calm · description"));
        await settle(); // the description's field takes keys from an effect after the frame that shows it
        first.tty.type("\r"); // Enter alone: no description
        await until(() => saved.length === 1, "the save");
        cleanup?.();
        const second = await renderOn(<PresetNamePrompt onSave={onSave} onClose={() => undefined} />);
        await waitForFrame(second.lastFrame, (f) => f.includes("name:"));
        second.tty.type("v1.2\r");
        await waitForFrame(second.lastFrame, (f) => f.includes("name: v1.2 · description"));
        await settle();
        second.tty.type(`${PASTE_START}two\rwords${PASTE_END}`);
        await waitForFrame(second.lastFrame, (f) => f.includes("two words"));
        await settle();
        second.tty.type("\r");
        await until(() => saved.length === 2, "the second save");
        expect(saved).toEqual(["calm|", "v1.2|two words"]);
    });

    it("the Backspace key (DEL) erases before the cursor and the Delete key (ESC[3~) after it", async () => {
        const {tty, conversation} = await startChat();
        tty.type("abcd");
        tty.type("\u001b[D\u001b[D"); // ← ←: the cursor before c
        tty.type("\u007f"); // Backspace: b goes
        tty.type("\u001b[3~"); // Delete: c goes
        tty.type("\r");
        await until(() => conversation.sent.length === 1, "the prompt to be sent");
        expect(conversation.sent).toEqual(["ad"]);
    });

    it("keys typed before the chat listens (while the model loads) are kept for the prompt, Enter included", async () => {
        const early = keyboard();
        early.tty.type("typed early\r");
        const {conversation} = await startChat(new FakeConversation(), early);
        await until(() => conversation.sent.length === 1, "the early prompt to be sent");
        expect(conversation.sent).toEqual(["typed early"]);
    });

    it("Ctrl+C while nothing listens (the model loading) interrupts; once the chat listens it is a key", async () => {
        let interrupts = 0;
        const {tty, board} = keyboard(() => { interrupts++; });
        tty.type("\u0003");
        expect(interrupts).toBe(1);
        board.setRawMode(true);
        tty.type("\u0003");
        expect(interrupts).toBe(1);
        expect(board.read()).toBe("\u0003");
        board.stop();
    });

    it("raw mode and bracketed paste are on from start to stop, and off after", () => {
        const {tty, terminal, board} = keyboard();
        expect(tty.rawMode).toBe(true);
        expect(terminal.text).toBe(BRACKETED_PASTE_ON);
        board.stop();
        expect(tty.rawModeCalls).toEqual([true, false]);
        expect(terminal.text).toBe(BRACKETED_PASTE_ON + BRACKETED_PASTE_OFF);
        board.stop(); // twice is harmless
        expect(terminal.text).toBe(BRACKETED_PASTE_ON + BRACKETED_PASTE_OFF);
    });

    it("a crash, process.exit, SIGTERM or SIGINT puts the terminal back too", () => {
        const script = (end: string) => `
            import {TerminalKeyboard} from ${JSON.stringify(path.join(repoRoot, "dist", "ui", "terminalKeyboard.js"))};
            const tty = {setRawMode: (on) => process.stdout.write("[raw " + on + "]"), setEncoding() {}, on() {}, off() {}, ref() {}, unref() {}, pause() {}, resume() {}};
            new TerminalKeyboard(tty, process.stdout, () => {}).start();
            setTimeout(() => { ${end} }, 10);`;
        for (const end of ["throw new Error('boom')", "process.exit(3)", "process.kill(process.pid, 'SIGTERM')", "process.kill(process.pid, 'SIGINT')"]) {
            const child = spawnSync(process.execPath, ["--input-type=module", "-e", script(end)], {encoding: "utf8"});
            expect(child.stdout, end).toBe(`[raw true]${BRACKETED_PASTE_ON}${BRACKETED_PASTE_OFF}[raw false]`);
        }
    });

    it("Ctrl+F1…F4, a mouse report and an unknown key with Ctrl do not end the chat, nor type anything", async () => {
        const {tty, conversation, lastFrame} = await startChat();
        // xterm's Ctrl+F1…F4 and an unknown Ctrl key made Ink throw ("reading 'startsWith'"); an SGR mouse report typed as text
        for (const key of ["\u001b[1;5P", "\u001b[1;5Q", "\u001b[1;5R", "\u001b[1;5S", "\u001b[<0;10;5M", "\u001b[99;5~", "\u001b[25~"]) {
            tty.type(key);
            await settle();
        }
        tty.type("The dog");
        await waitForFrame(lastFrame, (f) => f.includes("› The dog"));
        expect(lastFrame()).not.toMatch(/\[<|;5|25~/);
        tty.type("\r");
        await until(() => conversation.sent.length === 1, "the prompt to be sent");
        expect(conversation.sent).toEqual(["The dog"]);
    });

    it("fuzz: seeded random bytes and escape sequences through the keyboard into Ink: every key is read, nothing throws", async () => {
        const got: {input: unknown, key: Key}[] = [];
        function Reader() {
            useInput((input, key) => { got.push({input, key}); });
            return <PromptLine focused busy={false} onSubmit={() => undefined} />;
        }
        const {tty, lastFrame} = await renderOn(<Reader />);
        await waitForFrame(lastFrame, (f) => f.includes("Type a message"));
        // the keyboard's waits for the rest of a sequence or a paste are timeouts: faked, and run out when the test says
        vi.useFakeTimers({toFake: ["setTimeout", "clearTimeout"]});
        const random = seededRandom(2025);
        const pieces = ["\u001b", "\u001b[", "\u001bO", "\u001b]", "\u001bP", "\u001b\\", "\u0007", "[", ";", "1", "5", "<", "?", "~", "u", "$", "^",
            "M", "P", "Q", "A", "Z", "\u007f", "\u0000", "\u009b", "\u008f", "\ufffd", "😀", "é", "a", PASTE_START, PASTE_END, "27;5;13~"];
        for (let round = 0; round < 400; round++) {
            let chunk = "";
            const length = 1 + Math.floor(random() * 24);
            for (let i = 0; i < length; i++)
                chunk += random() < 0.2 ? String.fromCharCode(Math.floor(random() * 0x100)) : pieces[Math.floor(random() * pieces.length)]!;
            tty.type(chunk);
            // now and then the wait for an open sequence runs out
            if (round % 20 === 0) await inAct(() => { vi.advanceTimersByTime(KEY_WAIT_MS); });
        }
        await inAct(() => { vi.advanceTimersByTime(PASTE_WAIT_MS); }); // a paste left open ends after its wait
        for (const {input} of got) expect(typeof input).toBe("string");
        tty.type("\u0003"); // Ctrl+C clears what the fuzz left on the line
        await settle();
        tty.type("still alive");
        await vi.waitFor(() => expect(lastFrame()).toContain("› still alive"));
    });

    it("a 1 MB paste stays responsive: shown, edited, queued, sent, recalled with ↑, and the chat answers after it", async () => {
        // each step was minutes (the prompt's layout, the queue's line and the transcript's echo were quadratic or
        // slow per character); the generous waits below only fail if that comes back
        const conversation = new FakeConversation();
        conversation.script = (text) => (text === "first" ? {chunks: ["Hello", " there", "!"], pauseBefore: 1} : {chunks: ["Fine."]});
        const {tty, lastFrame} = await startChat(conversation, keyboard(), new PromptHistory());
        tty.type("first\r");
        await until(() => conversation.paused, "the first reply to pause");
        const words = ["the", "dog", "ran", "é", "中", "👍🏽", "e\u0301"];
        const random = seededRandom(1);
        const parts: string[] = [];
        for (let length = 0; length < 1 << 20;) {
            const word = random() < 0.02 ? "\r" : `${words[Math.floor(random() * words.length)]!} `;
            parts.push(word);
            length += word.length;
        }
        const text = parts.join("");
        const long = 120_000;
        for (let i = 0; i < text.length; i += 4096) tty.type((i === 0 ? PASTE_START : "") + text.slice(i, i + 4096));
        tty.type(PASTE_END);
        await waitForFrame(lastFrame, (f) => /\d+ more rows above/.test(f), long);
        tty.type("XYZ");
        await waitForFrame(lastFrame, (f) => f.includes("XYZ"), long);
        tty.type("\u001b[A"); // ↑: a row up in the paste
        tty.type("\u007f\u007f\u007fXYZ\r"); // Enter while the first reply is written: queued
        await waitForFrame(lastFrame, (f) => /⏎ queued: .*…/.test(f), long);
        conversation.release();
        await until(() => conversation.sent.length === 2, "the long prompt to be sent");
        expect(conversation.sent[1]!.length).toBeGreaterThan(1 << 20);
        // the transcript shows its start and how much more there was
        await waitForFrame(lastFrame, (f) => /… \([\d,]+ more characters\)/.test(f) && f.includes("Fine."), long);
        tty.type("\u001b[A"); // ↑ on the empty prompt: the long prompt again
        await waitForFrame(lastFrame, (f) => /\d+ more rows above/.test(f), long);
        tty.type("\u0003"); // Ctrl+C clears it
        await waitForFrame(lastFrame, (f) => f.includes("Type a message"), long);
        tty.type("The dog\r");
        await until(() => conversation.sent.length === 3, "the next prompt");
        await waitForFrame(lastFrame, (f) => f.includes("› The dog") && (f.match(/Fine\./g) ?? []).length === 2, long);
    }, 600_000);
});
