/**
 * The chat screen (src/ui/App.tsx) driven like a person at the keyboard through ink-testing-library, with an
 * in-memory Conversation (test/helpers/fakeConversation.ts) so the UI logic is tested without a model: sending and
 * streaming, stopping with Esc / Ctrl+C, quitting, the queue, history and the status line (commands: chatCommands).
 */
import {mkdtempSync, readFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterEach, describe, expect, it, vi} from "vitest";
import {STREAM_FLUSH_MS} from "../../src/ui/useReplyStream.js";
import {FakeConversation} from "../helpers/fakeConversation.js";
import {inAct, keys, press, typeText, waitForFrame} from "../helpers/ink.js";
import {PromptHistory} from "../../src/ui/promptHistory.js";
import {idle, start, submit, type, unmountChat, until} from "../helpers/chatScreen.js";

afterEach(unmountChat);

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
            await inAct(() => { vi.advanceTimersByTime(STREAM_FLUSH_MS); }); // the flush, and the frame it draws
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
        await waitForFrame(lastFrame, (f) => f.split("\n").includes("half")); // the last piece before the pause is drawn
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

    it("the context gauge follows the cache while a reply is written, not the last turn's figure", async () => {
        const conversation = new FakeConversation();
        conversation.script = {chunks: ["One", " two", " three"], pauseBefore: 2};
        const {stdin, lastFrame} = await start(conversation);
        await type({stdin, lastFrame}, "count");
        await press(stdin, keys.enter);
        await waitForFrame(lastFrame, () => conversation.paused);
        expect(lastFrame()).toContain("ctx 0/512");
        conversation.used = 77; // the prompt and the first tokens are in the cache now
        const during = await waitForFrame(lastFrame, (f) => f.includes("ctx 77/512"));
        expect(during).toContain("Esc to stop"); // still writing
        conversation.release();
        await waitForFrame(lastFrame, (f) => idle(f));
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
        // a later key is typed into the prompt: the chat took the Ctrl+C and is still there
        await typeText(stdin, "x");
        await waitForFrame(lastFrame, (f) => f.includes("› x"));
        expect(state.exited).toBe(false);
        await press(stdin, keys.ctrlC); // clears the x
        await waitForFrame(lastFrame, (f) => f.includes("› Type a message"));
        expect(state.exited).toBe(false);
        await press(stdin, keys.ctrlC);
        expect(await until(() => state.exited)).toBe(true);
        expect(conversation.sent).toEqual([]);
    });

    it("↑ brings back earlier prompts, newest first, and ↓ returns to the line being typed", async () => {
        const history = new PromptHistory(["from last time"]);
        const app = await start(new FakeConversation(), "m", undefined, history);
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
