/**
 * The chat screen with ink-testing-library. The conversation is an in-memory double that streams a scripted reply
 * and honours the AbortSignal, so these tests are about what the screen does, not the model.
 */
import React from "react";
import {afterEach, describe, expect, it} from "vitest";
import {render} from "ink-testing-library";
import type {Conversation, Reply, SendOptions} from "../../src/engine/conversation.js";
import {DEFAULT_SAMPLING} from "../../src/engine/sampling.js";
import {App} from "../../src/ui/App.js";
import {parseSlashCommand} from "../../src/ui/slashCommands.js";
import {keys, press, tick, typeText, waitForFrame} from "../helpers/ink.js";

class ScriptedConversation implements Conversation {
    readonly mode = "chat" as const;
    readonly sampling = {...DEFAULT_SAMPLING};
    systemPrompt: string | undefined;
    sent: string[] = [];
    cleared = 0;
    aborted = false;
    used = 0;
    constructor(private readonly words: string[], private readonly delayMs = 30) {}

    setSystemPrompt(text: string | undefined) { this.systemPrompt = text || undefined; }

    async send(userText: string, {signal, onText}: SendOptions = {}): Promise<Reply> {
        this.sent.push(userText);
        let text = "";
        for (const word of this.words) {
            if (signal?.aborted) {
                this.aborted = true;
                return {text, tokens: [], tokenCount: text.split(" ").length, stopReason: "aborted", tokensPerSecond: 12.5, meanLogProb: undefined};
            }
            await tick(this.delayMs);
            text += word;
            onText?.(word);
        }
        this.used += 40;
        return {text, tokens: [], tokenCount: this.words.length, stopReason: "eos", tokensPerSecond: 42.25, meanLogProb: Math.log(0.5)};
    }

    async clear() { this.cleared++; this.used = 0; }
    contextUsage() { return {used: this.used, size: 4096}; }
    lastUserText() { return this.sent.at(-1); }
    rewind() { return this.sent.pop(); }
    snapshot() { return [...this.sent]; }
    restore(s: unknown) { this.sent = [...(s as string[])]; }
    dispose() {}
}

let unmount: (() => void) | undefined;
afterEach(() => unmount?.());

function start(conversation: Conversation) {
    const app = render(<App conversation={conversation} modelName="test-model.gguf" />);
    unmount = app.unmount;
    return app;
}

describe("chat screen", () => {
    it("shows the user's message and streams the reply, then the status line shows context use and tok/s", async () => {
        const conversation = new ScriptedConversation(["Hello", " there,", " friend."]);
        const {stdin, lastFrame} = start(conversation);
        await tick(50);
        expect(lastFrame()).toContain("test-model.gguf · chat · ctx 0/4096 (0%)");
        await typeText(stdin, "Hi model");
        await press(stdin, keys.enter);
        const during = await waitForFrame(lastFrame, (f) => f.includes("writing (Esc to stop)") && f.includes("Hello"));
        expect(during).toContain("› Hi model");
        expect(during).toContain("Esc to stop");
        const done = await waitForFrame(lastFrame, (f) => f.includes("tok/s"));
        expect(done).toContain("Hello there, friend.");
        expect(done).toContain("ctx 40/4096 (1%) · 42.3 tok/s · ppl 2.00");
        expect(conversation.sent).toEqual(["Hi model"]);
    });

    it("Esc stops a reply in progress and keeps what was written", async () => {
        const conversation = new ScriptedConversation(["one", " two", " three", " four", " five", " six", " seven", " eight"], 80);
        const {stdin, lastFrame} = start(conversation);
        await typeText(stdin, "count");
        await press(stdin, keys.enter);
        await waitForFrame(lastFrame, (f) => f.includes("one two"));
        await press(stdin, keys.escape);
        const frame = await waitForFrame(lastFrame, (f) => f.includes("[stopped"));
        expect(conversation.aborted).toBe(true);
        expect(frame).toMatch(/one two/);
        expect(frame).not.toContain("eight");
        expect(frame).toContain("› Type a message"); // the prompt is back
    });

    it("Ctrl+C while a reply is written stops it instead of quitting", async () => {
        const conversation = new ScriptedConversation(["a", " b", " c", " d", " e", " f"], 80);
        const {stdin, lastFrame} = start(conversation);
        await typeText(stdin, "go");
        await press(stdin, keys.enter);
        await waitForFrame(lastFrame, (f) => f.includes("writing"));
        await press(stdin, keys.ctrlC);
        const frame = await waitForFrame(lastFrame, (f) => f.includes("[stopped"));
        expect(conversation.aborted).toBe(true);
        expect(frame).toContain("› Type a message");
    });

    it("/help, /system, /clear and an unknown command", async () => {
        const conversation = new ScriptedConversation(["ok"]);
        const {stdin, lastFrame} = start(conversation);
        await typeText(stdin, "/help");
        await press(stdin, keys.enter);
        expect(lastFrame()).toMatch(/\/clear\s+forget the conversation/);
        expect(lastFrame()).toMatch(/Esc \/ Ctrl\+C\s+stop the reply/);
        await typeText(stdin, "/system You are terse.");
        await press(stdin, keys.enter);
        expect(conversation.systemPrompt).toBe("You are terse.");
        expect(lastFrame()).toContain("System prompt set: You are terse.");
        await typeText(stdin, "/clear");
        await press(stdin, keys.enter);
        await waitForFrame(lastFrame, (f) => f.includes("Conversation cleared."));
        expect(conversation.cleared).toBe(1);
        await typeText(stdin, "/frob");
        await press(stdin, keys.enter);
        expect(lastFrame()).toContain("Unknown command /frob — /help lists the commands");
        expect(conversation.sent).toEqual([]); // none of these reached the model
    });

    it("steering commands explain themselves when steering is unavailable", async () => {
        const {stdin, lastFrame} = start(new ScriptedConversation(["ok"]));
        await typeText(stdin, "/vector set happy 1");
        await press(stdin, keys.enter);
        await waitForFrame(lastFrame, (f) => f.includes("Steering is unavailable"));
        expect(lastFrame()).toContain("Steering is unavailable in this session");
    });
});

describe("parseSlashCommand", () => {
    it("parses every command and its arguments, and explains bad ones", () => {
        expect(parseSlashCommand("/help")).toEqual({kind: "help"});
        expect(parseSlashCommand("  /EXIT ")).toEqual({kind: "exit"});
        expect(parseSlashCommand("/system  Be kind. ")).toEqual({kind: "system", text: "Be kind."});
        expect(parseSlashCommand("/vector add happy:0.5")).toEqual({kind: "vectorAdd", ref: "happy", coefficient: 0.5});
        expect(parseSlashCommand("/vector add ./v/x.gguf")).toEqual({kind: "vectorAdd", ref: "./v/x.gguf", coefficient: 1});
        expect(parseSlashCommand("/vector set happy -1.5")).toEqual({kind: "vectorSet", name: "happy", coefficient: -1.5});
        expect(parseSlashCommand("/vector off happy")).toEqual({kind: "vectorEnable", name: "happy", enabled: false});
        expect(parseSlashCommand("/layers happy 3-9")).toEqual({kind: "layers", name: "happy", range: {start: 3, end: 9}});
        expect(parseSlashCommand("/layers happy all")).toEqual({kind: "layers", name: "happy", range: undefined});
        expect(parseSlashCommand("/preset load calm")).toEqual({kind: "presetLoad", name: "calm"});
        expect(parseSlashCommand("/sweep happy -1..1 0.5")).toEqual({kind: "sweep", name: "happy", from: -1, to: 1, step: 0.5});
        expect(parseSlashCommand("/save out.json")).toEqual({kind: "save", file: "out.json"});
        expect(parseSlashCommand("/vector set happy lots")).toMatchObject({kind: "invalid", message: expect.stringMatching(/usage/)});
        expect(parseSlashCommand("/sweep happy 0..100 0.1")).toMatchObject({kind: "invalid", message: expect.stringMatching(/41 replies/)});
        expect(parseSlashCommand("/layers happy x")).toMatchObject({kind: "invalid"});
        expect(parseSlashCommand("/nope")).toEqual({kind: "unknown", name: "/nope"});
    });
});
