/**
 * The chat screen's slash commands and keys, driven like a person at the keyboard through ink-testing-library over
 * an in-memory Conversation: /help and F1, /train, /clear, /system, unknown and unavailable commands, errors.
 */
import {mkdtempSync, readFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterEach, describe, expect, it} from "vitest";
import {SLASH_COMMAND_HELP} from "../../src/ui/slashCommands.js";
import {FakeConversation} from "../helpers/fakeConversation.js";
import {keys, press, settle, typeText, waitForFrame} from "../helpers/ink.js";
import type {RecipeTrainer} from "../../src/training/recipeVectors.js";
import {idle, start, submit, unmountChat} from "../helpers/chatScreen.js";

afterEach(unmountChat);

describe("the chat screen's commands", () => {
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
        await settle(); // the renders the burst set off are done
        await press(stdin, keys.enter);
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
        // a later prompt is sent and answered: had the empty ones been sent, they would be before it
        await submit({stdin, lastFrame}, "marker");
        await waitForFrame(lastFrame, (f) => idle(f) && f.includes("Hello there!"));
        expect(conversation.sent).toEqual(["marker"]);
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

    it("a reply that fails after some of its lines were printed: the screen shows what the session recorded, marked [failed]", async () => {
        const conversation = new FakeConversation();
        conversation.script = {chunks: ["first line\n", "second line\n", "half", " a", " more"], pauseBefore: 3,
            failAfter: {chunks: 4, error: new Error("the model fell over")}};
        const {stdin, lastFrame} = await start(conversation);
        await submit({stdin, lastFrame}, "go");
        // its finished lines went to the transcript while it was written
        await waitForFrame(lastFrame, (f) => conversation.paused && f.includes("second line") && f.includes("half"));
        conversation.release();
        const frame = await waitForFrame(lastFrame, (f) => idle(f) && f.includes("the model fell over"));
        expect(frame).toMatch(/first line\nsecond line\nhalf a\n\[failed\]/);
        expect(frame.split("first line").length).toBe(2); // each part shown once
        expect(frame).not.toContain("more");
        // what /save writes from the session is what the screen shows
        const file = path.join(mkdtempSync(path.join(os.tmpdir(), "steer-save-")), "t.json");
        await submit({stdin, lastFrame}, `/save ${file}`);
        await waitForFrame(lastFrame, (f) => f.includes("Saved the transcript"));
        expect(JSON.parse(readFileSync(file, "utf8")).turns).toMatchObject([{role: "user", text: "go", failed: true},
            {role: "assistant", text: "first line\nsecond line\nhalf a", outcome: "failed", error: "the model fell over"}]);
    });

});
