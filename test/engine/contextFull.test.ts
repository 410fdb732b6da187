/**
 * Raw mode when the context fills up: the next prompt shifts it as chat mode does (the system text stays, the oldest
 * exchanges go, and the reply says how many), so the conversation goes on instead of answering "[context full]"
 * forever; a prompt that cannot fit on its own is refused with one line. stories260K at its smallest context.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {createConversation, PromptTooLongError} from "../../src/engine/conversation.js";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {storiesModelPath} from "../helpers/tinyModel.js";

describe("a full context in raw mode", () => {
    let loaded: LoadedModel;
    beforeAll(async () => {
        loaded = await loadModel(storiesModelPath, {contextSize: 256});
    });
    afterAll(async () => {
        await loaded?.dispose();
    });

    it("the reply that fills the context stops as contextFull; the next prompt drops the oldest exchanges and answers", async () => {
        const conversation = createConversation(loaded, {mode: "raw", systemPrompt: "A story.", sampling: {temperature: 0, maxTokens: 1000}});
        try {
            const size = loaded.context.contextSize;
            const first = await conversation.send("Once upon a time");
            expect(first.stopReason).toBe("contextFull");
            expect(first.droppedTurns).toBeUndefined();
            expect(conversation.contextUsage().used).toBeGreaterThanOrEqual(size - 1); // the last sampled token is not evaluated
            const next = await conversation.send("The next day");
            expect(next.droppedTurns).toBe(1);
            expect(next.tokenCount).toBeGreaterThan(0);
            expect(conversation.lastUserText()).toBe("The next day");
            expect(conversation.systemPrompt).toBe("A story.");
            expect(conversation.contextUsage().used).toBeLessThanOrEqual(size);
        } finally {
            conversation.dispose();
        }
    });

    it("a prompt longer than the context is refused with one line naming both sizes", async () => {
        const conversation = createConversation(loaded, {mode: "raw", sampling: {temperature: 0, maxTokens: 8}});
        try {
            const long = "Once upon a time there was a dog. ".repeat(100);
            const err = await conversation.send(long).then(() => undefined, (e: unknown) => e);
            expect(err).toBeInstanceOf(PromptTooLongError);
            const line = (err as PromptTooLongError).toLine();
            expect(line).toMatch(/^The prompt is \d+ tokens, but the context holds 256 — /);
            expect(line).not.toContain("\n");
            // nothing of it stays: the conversation goes on
            expect(conversation.lastUserText()).toBeUndefined();
            expect((await conversation.send("Once upon a time")).tokenCount).toBeGreaterThan(0);
        } finally {
            conversation.dispose();
        }
    });

    it("chat mode on a model without a template at the smallest context: no hidden default system prompt takes the room", async () => {
        const conversation = createConversation(loaded, {mode: "chat", sampling: {temperature: 0, maxTokens: 16}});
        try {
            for (const text of ["Once upon a time", "Then what?"]) {
                const reply = await conversation.send(text);
                expect(reply.tokenCount, text).toBeGreaterThan(0);
            }
            expect(conversation.systemPrompt).toBeUndefined();
            // node-llama-cpp's default system prompt is some 190 tokens: two short turns fit well below that
            expect(conversation.contextUsage().used).toBeLessThan(150);
            await conversation.clear();
            expect((await conversation.send("Once upon a time")).tokenCount).toBeGreaterThan(0);
            expect(conversation.contextUsage().used).toBeLessThan(100);
        } finally {
            conversation.dispose();
        }
    });
});

