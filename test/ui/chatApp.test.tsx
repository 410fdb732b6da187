/**
 * The chat screen (src/ui/App.tsx) driven like a person at the keyboard through ink-testing-library, with an
 * in-memory Conversation (test/helpers/fakeConversation.ts) so the UI logic is tested without a model: sending and
 * streaming, stopping with Esc / Ctrl+C, quitting, the slash commands, and the status line.
 */
import {mkdtempSync, readFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import React, {useEffect} from "react";
import {afterEach, describe, expect, it, vi} from "vitest";
import {render} from "ink-testing-library";
import {App} from "../../src/ui/App.js";
import {STREAM_FLUSH_MS} from "../../src/ui/useReplyStream.js";
import {ChatSession} from "../../src/session/chatSession.js";
import {SLASH_COMMAND_HELP} from "../../src/ui/slashCommands.js";
import {FakeConversation} from "../helpers/fakeConversation.js";
import {keys, press, tick, typeText, waitForFrame} from "../helpers/ink.js";
import type {RecipeTrainer} from "../../src/training/recipeVectors.js";
import {PromptHistory} from "../../src/ui/promptHistory.js";

/** Tells the test when Ink unmounts the tree, which is what the app's exit() does. */
function ExitProbe({state}: {state: {exited: boolean}}) {
    useEffect(() => () => { state.exited = true; }, [state]);
    return null;
}

let cleanup: (() => void) | undefined;
afterEach(() => {
    cleanup?.();
    cleanup = undefined;
});

async function start(conversation = new FakeConversation(), modelName = "tiny-model.gguf", trainRecipe?: RecipeTrainer) {
    const state = {exited: false};
    const app = render(<>
        <App session={new ChatSession({conversation, modelName, trainRecipe})} />
        <ExitProbe state={state} />
    </>);
    cleanup = () => app.unmount();
    await tick(100);
    return {...app, conversation, state};
}

/** Types text as one chunk (as a terminal delivers a paste or tmux send-keys -l), then waits for the prompt to show it. */
async function type(app: {stdin: {write: (data: string) => void}, lastFrame: () => string | undefined}, text: string) {
    app.stdin.write(text);
    if (text.trim() !== "") await waitForFrame(app.lastFrame, (f) => f.includes(`› ${text.trimEnd()}`));
    await tick();
}

async function submit(app: {stdin: {write: (data: string) => void}, lastFrame: () => string | undefined}, text: string) {
    await type(app, text);
    await press(app.stdin, keys.enter);
}

const idle = (f: string) => !f.includes("writing (Esc to stop)");

/** polls a condition until it holds or the time runs out; returns its last value */
async function until(check: () => boolean, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    while (!check() && Date.now() < deadline) await tick(20);
    return check();
}

describe("the chat screen", () => {
    it("shows the model, an empty prompt and the status line at start", async () => {
        const {lastFrame} = await start();
        const frame = lastFrame()!;
        expect(frame).toContain("steer-chat · tiny-model.gguf");
        expect(frame).toContain("Type a message, /help for commands");
        expect(frame).toMatch(/tiny-model\.gguf · raw · ctx 0\/512 \(0%\)/);
    });

    it("Enter sends the typed prompt: the user message shows, then the reply streams in and is kept", async () => {
        const conversation = new FakeConversation();
        conversation.script = {chunks: ["Once", " there", " was", " a", " cat", "."], pauseBefore: 3, stopReason: "eos"};
        const {stdin, lastFrame, frames} = await start(conversation);
        await type({stdin, lastFrame}, "tell me a story");
        expect(lastFrame()).toContain("› tell me a story");
        await press(stdin, keys.enter);

        // mid-reply (the fake waits before its 4th chunk): what has streamed so far is on screen, and the prompt is busy
        const during = await waitForFrame(lastFrame, (f) => f.includes("Once there was"));
        expect(conversation.paused).toBe(true);
        expect(during).toContain("› tell me a story");
        expect(during).toContain("writing (Esc to stop)");
        expect(during).not.toContain("a cat.");

        conversation.release();
        const done = await waitForFrame(lastFrame, (f) => idle(f) && f.includes("Once there was a cat."));
        expect(conversation.sent).toEqual(["tell me a story"]);
        expect(done).toContain("› tell me a story");
        expect(done).toContain("Once there was a cat.");
        expect(done).not.toContain("[stopped]");
        expect(done).toContain("Type a message"); // the prompt is empty again
        // the reply appeared in pieces: some frame showed part of it without the end
        expect(frames.some((f) => f.includes("Once") && !f.includes("a cat."))).toBe(true);
    });

    it("a fast stream is drawn in batches, not once per token: a frame per flush of the timer", async () => {
        // only the flush timer is faked: the test decides when it fires, so no count depends on the machine's speed
        vi.useFakeTimers({toFake: ["setInterval", "clearInterval"]});
        try {
            const conversation = new FakeConversation();
            conversation.chunkDelayMs = 0;
            conversation.script = {chunks: Array.from({length: 500}, (_, i) => ` w${i}`), pauseBefore: 250, stopReason: "maxTokens"};
            const {stdin, lastFrame, frames} = await start(conversation);
            await type({stdin, lastFrame}, "go");
            await press(stdin, keys.enter);
            await waitForFrame(lastFrame, () => conversation.paused);
            const streamed = frames.length;
            expect(lastFrame()).not.toContain("w249"); // 250 tokens arrived, the timer has not fired: nothing drawn yet
            vi.advanceTimersByTime(STREAM_FLUSH_MS);
            await tick();
            expect(lastFrame()).toContain("w249"); // one flush draws all that arrived
            expect(frames.length - streamed).toBe(1);
            conversation.release();
            await waitForFrame(lastFrame, (f) => idle(f) && f.includes("w499"));
            // 500 tokens, one flush: a handful of frames (busy on, the flush, the reply, idle), never one per token
            expect(frames.length).toBeLessThan(streamed + 10);
        } finally {
            vi.useRealTimers();
        }
    });

    it("a long reply streamed line by line shows each line once, and the transcript keeps it as one message", async () => {
        const conversation = new FakeConversation();
        const lines = Array.from({length: 40}, (_, i) => `line ${i} of the story`);
        conversation.script = {chunks: [...lines.slice(0, 30).map((l) => `${l}\n`), "half", ...lines.slice(30).map((l) => `${l}\n`), "the end"], pauseBefore: 31};
        const {stdin, lastFrame} = await start(conversation);
        await submit({stdin, lastFrame}, "tell me a long story");
        await waitForFrame(lastFrame, () => conversation.paused);
        await tick(150); // a flush or two
        // while writing, the finished lines are on screen once each (printed above the live area, not again in it)
        const during = lastFrame()!.split("\n");
        expect(during.filter((l) => /^line \d+ of the story$/.test(l))).toEqual(lines.slice(0, 30));
        expect(during).toContain("half");
        conversation.release();
        const done = await waitForFrame(lastFrame, (f) => idle(f) && f.includes("the end"));
        const shown = done.split("\n");
        for (const line of [...lines.slice(0, 30), "halfline 30 of the story", ...lines.slice(31), "the end"])
            expect(shown.filter((l) => l === line), line).toHaveLength(1);

        // the transcript holds the reply as one message
        const file = path.join(mkdtempSync(path.join(os.tmpdir(), "steer-save-")), "t.json");
        await submit({stdin, lastFrame}, `/save ${file}`);
        await waitForFrame(lastFrame, (f) => f.includes("Saved the transcript"));
        const saved = JSON.parse(readFileSync(file, "utf8"));
        expect(saved.turns.map((t: {role: string}) => t.role)).toEqual(["user", "assistant"]);
        expect(saved.turns[1].text).toBe([...lines.slice(0, 30).map((l) => `${l}\n`), "half", ...lines.slice(30).map((l) => `${l}\n`), "the end"].join(""));
    });

    const markdownReply = ["Steps:\n- **mix** the", " flour\n- bake\n```sh\necho", " hi\n  indented # *not emphasis*\n", "```\n", "| a | b |\n", "|---|---|\n| 1 | 22 |\n", "Done."];

    it("in chat mode a reply is drawn as Markdown while it streams and after, a fence split across pieces too; /save keeps the Markdown", async () => {
        const conversation = new FakeConversation("chat");
        conversation.script = {chunks: markdownReply, pauseBefore: 3};
        const {stdin, lastFrame} = await start(conversation);
        await submit({stdin, lastFrame}, "how?");
        await waitForFrame(lastFrame, () => conversation.paused);
        // mid-reply, inside the open code block: the finished lines are printed drawn, the fence's line live as code
        // (no colour under test, so the bold keeps its stars: see markdown.test.ts for the styles)
        const during = await waitForFrame(lastFrame, (f) => f.includes("│   indented"));
        expect(during).toContain("• **mix** the flour");
        expect(during).toContain("┌─ sh");
        expect(during).toContain("│ echo hi");
        expect(during).toContain("│   indented # *not emphasis*");
        expect(during).not.toContain("```");
        conversation.release();
        const done = await waitForFrame(lastFrame, (f) => idle(f) && f.includes("Done."));
        const shown = done.split("\n").map((l) => l.trimEnd());
        expect(shown).toContain("• bake");
        expect(shown).toContain("└─");
        // the table, held back until it ended, is aligned as a whole
        expect(shown).toContain("a │ b");
        expect(shown).toContain("1 │ 22");
        for (const line of ["• **mix** the flour", "│ echo hi", "└─", "a │ b"]) expect(shown.filter((l) => l === line), line).toHaveLength(1);

        const file = path.join(mkdtempSync(path.join(os.tmpdir(), "steer-save-")), "t.json");
        await submit({stdin, lastFrame}, `/save ${file}`);
        await waitForFrame(lastFrame, (f) => f.includes("Saved the transcript"));
        expect(JSON.parse(readFileSync(file, "utf8")).turns[1].text).toBe(markdownReply.join(""));
    });

    it("in raw mode a reply is the model's continuation, shown exactly as written", async () => {
        const conversation = new FakeConversation("raw");
        conversation.script = {chunks: markdownReply};
        const {stdin, lastFrame} = await start(conversation);
        await submit({stdin, lastFrame}, "how?");
        const done = await waitForFrame(lastFrame, (f) => idle(f) && f.includes("Done."));
        expect(done).toContain("- **mix** the flour");
        expect(done).toContain("```sh");
        expect(done).toContain("|---|---|");
        expect(done).not.toContain("•");
        expect(done).not.toContain("┌─");
    });

    it("Esc while a reply is written stops it: the signal is aborted, the partial text is kept, marked [stopped]", async () => {
        const conversation = new FakeConversation();
        conversation.script = {chunks: ["The", " dog", " ran", " far", " away"], pauseBefore: 2};
        const {stdin, lastFrame} = await start(conversation);
        await submit({stdin, lastFrame}, "go");
        await waitForFrame(lastFrame, (f) => f.includes("The dog") && f.includes("writing"));
        expect(conversation.signals[0]!.aborted).toBe(false);

        await press(stdin, keys.escape);
        const frame = await waitForFrame(lastFrame, (f) => idle(f) && f.includes("[stopped"));
        expect(conversation.signals[0]!.aborted).toBe(true);
        expect(frame).toContain("The dog");
        expect(frame).not.toContain("ran");
        expect(frame).toContain("[stopped]");
    });

    it("Ctrl+C while a reply is written stops the reply instead of quitting; the chat goes on", async () => {
        const conversation = new FakeConversation();
        conversation.script = (text) => text === "first"
            ? {chunks: ["one", " two", " three"], pauseBefore: 1}
            : {chunks: ["second reply"]};
        const {stdin, lastFrame, state} = await start(conversation);
        await submit({stdin, lastFrame}, "first");
        await waitForFrame(lastFrame, (f) => f.includes("one") && f.includes("writing"));
        await press(stdin, keys.ctrlC);
        await waitForFrame(lastFrame, (f) => idle(f) && f.includes("[stopped]"));
        expect(conversation.signals[0]!.aborted).toBe(true);
        expect(state.exited).toBe(false);

        await submit({stdin, lastFrame}, "again");
        const frame = await waitForFrame(lastFrame, (f) => f.includes("second reply") && idle(f));
        expect(frame).toContain("second reply");
        expect(conversation.sent).toEqual(["first", "again"]);
        expect(state.exited).toBe(false);
    });

    it("Ctrl+C on the idle prompt quits", async () => {
        const {stdin, state} = await start();
        expect(state.exited).toBe(false);
        await press(stdin, keys.ctrlC);
        expect(await until(() => state.exited)).toBe(true);
    });

    it("/exit quits", async () => {
        const {stdin, lastFrame, state} = await start();
        await submit({stdin, lastFrame}, "/exit");
        expect(await until(() => state.exited)).toBe(true);
    });

    it("/help lists the commands and keys without sending anything to the model", async () => {
        const {stdin, lastFrame, conversation} = await start();
        await submit({stdin, lastFrame}, "/help");
        const frame = await waitForFrame(lastFrame, (f) => f.includes("Commands:"));
        for (const command of ["/clear", "/system <text>", "/exit", "/help"]) expect(frame).toContain(command);
        for (const [command] of SLASH_COMMAND_HELP) expect(frame).toContain(command);
        expect(frame).toContain("Keys:");
        expect(conversation.sent).toEqual([]);
    });

    it("keys that arrive faster than the screen re-renders are all kept, in order (no stale-value edits)", async () => {
        const {stdin, lastFrame, conversation} = await start();
        const text = "the quick brown fox jumps over the lazy dog";
        for (const ch of text) stdin.write(ch); // back to back: no render in between
        stdin.write("\u001b[D"); // ← then an insertion before the last letter, still in the same burst
        stdin.write("!");
        await tick();
        stdin.write(keys.enter);
        await waitForFrame(lastFrame, (f) => f.includes("Hello there!"));
        expect(conversation.sent).toEqual(["the quick brown fox jumps over the lazy do!g"]);
    });

    it("F1 opens the keys-and-commands overlay from the prompt (xterm and VT220 sequences); any key closes it", async () => {
        const {stdin, lastFrame, conversation} = await start();
        await typeText(stdin, "hi");
        for (const f1 of ["\u001bOP", "\u001b[11~"]) {
            await press(stdin, f1);
            const open = await waitForFrame(lastFrame, (f) => f.includes("Keys and commands"));
            expect(open).toContain("Keys and commands");
            expect(open).toContain("F1, ? (panel)");
            await tick(150); // the overlay's key listener attaches in an effect after it is drawn; a loaded machine can lag
            await press(stdin, "x");
            const closed = await waitForFrame(lastFrame, (f) => !f.includes("Keys and commands"));
            expect(closed).not.toContain("Keys and commands");
        }
        expect(lastFrame()).toContain("› hi");
        expect(lastFrame()).not.toContain("hix");
        expect(conversation.sent).toEqual([]);
    });

    it("/train shows a progress bar, and Esc stops it with a clear message; the chat stays usable", async () => {
        let seen: AbortSignal | undefined;
        const trainer: RecipeTrainer = (name, {onProgress, signal} = {}) => new Promise((resolve, reject) => {
            seen = signal;
            onProgress?.(3, 12);
            signal?.addEventListener("abort", () => reject(new Error("Training was cancelled")));
        });
        const {stdin, lastFrame, conversation} = await start(new FakeConversation(), "tiny-model.gguf", trainer);
        await typeText(stdin, "/train happy");
        await press(stdin, keys.enter);
        const training = await waitForFrame(lastFrame, (f) => /training \[█+░+\] 3\/12 prompts/.test(f));
        expect(training).toContain("… training (Esc to stop)");
        expect(training).not.toContain("writing");
        expect(seen?.aborted).toBe(false);
        await press(stdin, keys.escape);
        const frame = await waitForFrame(lastFrame, (f) => f.includes("Training was cancelled") && idle(f));
        expect(seen?.aborted).toBe(true);
        expect(frame).not.toMatch(/training \[/);
        await submit({stdin, lastFrame}, "hello");
        await waitForFrame(lastFrame, (f) => idle(f) && f.includes("Hello there!"));
        expect(conversation.sent).toEqual(["hello"]);
    });

    it("/clear calls conversation.clear(), shows a note and resets the context figure", async () => {
        const conversation = new FakeConversation();
        conversation.script = {chunks: ["abc"], tokensPerSecond: 20};
        const {stdin, lastFrame} = await start(conversation);
        await submit({stdin, lastFrame}, "hello");
        const before = await waitForFrame(lastFrame, (f) => idle(f) && f.includes("abc"));
        expect(before).toMatch(/ctx 6\/512/); // the fake counts 5 for "hello" + 1 chunk
        await submit({stdin, lastFrame}, "/clear");
        const frame = await waitForFrame(lastFrame, (f) => f.includes("Conversation cleared."));
        expect(conversation.clearCalls).toBe(1);
        expect(frame).toMatch(/ctx 0\/512 \(0%\)/);
        expect(frame).not.toContain("tok/s");
        expect(conversation.sent).toEqual(["hello"]);
    });

    it("/system TEXT sets the system prompt; /system alone shows it; /system --clear clears it", async () => {
        const {stdin, lastFrame, conversation} = await start();
        await submit({stdin, lastFrame}, "/system You are a pirate.");
        await waitForFrame(lastFrame, (f) => f.includes("System prompt set: You are a pirate."));
        expect(conversation.systemPromptCalls).toEqual(["You are a pirate."]);
        expect(conversation.systemPrompt).toBe("You are a pirate.");
        await submit({stdin, lastFrame}, "/system");
        await waitForFrame(lastFrame, (f) => f.includes("System prompt: You are a pirate."));
        expect(conversation.systemPromptCalls).toEqual(["You are a pirate."]);
        await submit({stdin, lastFrame}, "/system --clear");
        await waitForFrame(lastFrame, (f) => f.includes("System prompt cleared."));
        expect(conversation.systemPromptCalls).toEqual(["You are a pirate.", ""]);
        expect(conversation.systemPrompt).toBeUndefined();
        expect(conversation.sent).toEqual([]);
    });

    it("an unknown command shows an error naming it and sends nothing", async () => {
        const {stdin, lastFrame, conversation} = await start();
        await submit({stdin, lastFrame}, "/foo bar");
        const frame = await waitForFrame(lastFrame, (f) => f.includes("Unknown command"));
        expect(frame).toContain("Unknown command /foo");
        expect(frame).toContain("/help");
        expect(conversation.sent).toEqual([]);
    });

    it("steering commands say why when steering is unavailable in the session", async () => {
        const {stdin, lastFrame, conversation} = await start();
        await submit({stdin, lastFrame}, "/vector set happy 1");
        const frame = await waitForFrame(lastFrame, (f) => f.includes("Steering is unavailable"));
        expect(frame).toContain("Steering is unavailable in this session");
        expect(conversation.sent).toEqual([]);
    });

    it("an empty prompt sends nothing", async () => {
        const {stdin, lastFrame, conversation} = await start();
        await press(stdin, keys.enter);
        await submit({stdin, lastFrame}, "   ");
        await tick(100);
        expect(conversation.sent).toEqual([]);
        expect(lastFrame()).not.toContain("writing");
    });

    it("a reply that hits the token limit is marked [hit --max-tokens]", async () => {
        const conversation = new FakeConversation();
        conversation.script = {chunks: ["cut", " short"], stopReason: "maxTokens"};
        const {stdin, lastFrame} = await start(conversation);
        await submit({stdin, lastFrame}, "hi");
        const frame = await waitForFrame(lastFrame, (f) => idle(f) && f.includes("cut short"));
        expect(frame).toContain("[hit --max-tokens");
    });

    it("a failing send shows the error, keeps the partial text, and the chat stays usable", async () => {
        const conversation = new FakeConversation();
        let calls = 0;
        const realSend = conversation.send.bind(conversation);
        conversation.send = async (text, options) => {
            if (calls++ === 0) {
                options?.onText?.("partial ");
                throw new Error("the model fell over");
            }
            return realSend(text, options);
        };
        const {stdin, lastFrame} = await start(conversation);
        await submit({stdin, lastFrame}, "break");
        const frame = await waitForFrame(lastFrame, (f) => idle(f) && f.includes("the model fell over"));
        expect(frame).toContain("partial");
        await submit({stdin, lastFrame}, "next");
        await waitForFrame(lastFrame, (f) => idle(f) && f.includes("Hello there!"));
        expect(lastFrame()).toContain("Hello there!");
    });

    it("the status line shows model, mode, ctx used/size with percent, and tok/s after a reply", async () => {
        const conversation = new FakeConversation("chat", 2048);
        conversation.script = {chunks: ["a", "b", "c", "d"], tokensPerSecond: 42.25, meanLogProb: -0.5};
        const {stdin, lastFrame} = await start(conversation, "stories260K.gguf");
        expect(lastFrame()).toMatch(/stories260K\.gguf · chat · ctx 0\/2048 \(0%\) · \/help/);
        await submit({stdin, lastFrame}, "x".repeat(60));
        const frame = await waitForFrame(lastFrame, (f) => idle(f) && f.includes("tok/s"));
        const used = 60 + 4; // the fake counts the prompt's characters and the reply's chunks
        const status = frame.split("\n").find((l) => l.includes("stories260K.gguf · chat"))!;
        expect(status).toContain(`ctx ${used}/2048 (${Math.round((used / 2048) * 100)}%)`);
        expect(status).toContain("42.3 tok/s");
        expect(status).toContain(`ppl ${Math.exp(0.5).toFixed(2)}`);
    });

    it("while busy the prompt stays editable: Enter queues the line, says so, and sends it when the reply ends", async () => {
        const conversation = new FakeConversation();
        conversation.script = (text) => (text === "go" ? {chunks: ["x", "y"], pauseBefore: 1} : {chunks: ["second"]});
        const {stdin, lastFrame} = await start(conversation);
        await submit({stdin, lastFrame}, "go");
        const busy = await waitForFrame(lastFrame, (f) => f.includes("writing"));
        expect(busy).toContain("Esc to stop");
        await typeText(stdin, "next one");
        expect(lastFrame()).toContain("› next one");
        await press(stdin, keys.enter);
        const queued = await waitForFrame(lastFrame, (f) => f.includes("queued: next one"));
        expect(queued).toContain("› Type a message"); // the line is free for more
        expect(conversation.sent).toEqual(["go"]);
        conversation.release();
        await waitForFrame(lastFrame, (f) => idle(f) && f.includes("second"));
        expect(conversation.sent).toEqual(["go", "next one"]);
        expect(lastFrame()).not.toContain("queued:");
    });

    it("Ctrl+C with a half-typed prompt clears the line and keeps the chat; on the empty prompt it quits", async () => {
        const {stdin, lastFrame, state, conversation} = await start();
        await type({stdin, lastFrame}, "half a thou");
        await press(stdin, keys.ctrlC);
        const cleared = await waitForFrame(lastFrame, (f) => f.includes("› Type a message"));
        expect(cleared).not.toContain("half a thou");
        await tick(100);
        expect(state.exited).toBe(false);
        await press(stdin, keys.ctrlC);
        expect(await until(() => state.exited)).toBe(true);
        expect(conversation.sent).toEqual([]);
    });

    it("↑ brings back earlier prompts, newest first, and ↓ returns to the line being typed", async () => {
        const history = new PromptHistory(["from last time"]);
        const app = render(<App session={new ChatSession({conversation: new FakeConversation(), modelName: "m"})} history={history} />);
        cleanup = () => app.unmount();
        await tick(100);
        await submit(app, "hello");
        await waitForFrame(app.lastFrame, (f) => idle(f) && f.includes("Hello there!"));
        await type(app, "draft");
        await press(app.stdin, keys.up);
        await waitForFrame(app.lastFrame, (f) => f.includes("› hello"));
        await press(app.stdin, keys.up);
        await waitForFrame(app.lastFrame, (f) => f.includes("› from last time"));
        await press(app.stdin, keys.down, keys.down);
        await waitForFrame(app.lastFrame, (f) => f.includes("› draft"));
        expect(history.all).toEqual(["from last time", "hello"]);
    });

    it("//text sends text that starts with / instead of running a command", async () => {
        const {stdin, lastFrame, conversation} = await start();
        await submit({stdin, lastFrame}, "//help is a word here");
        await waitForFrame(lastFrame, (f) => idle(f) && f.includes("Hello there!"));
        expect(conversation.sent).toEqual(["/help is a word here"]);
        expect(lastFrame()).not.toContain("Commands:");
    });
});
