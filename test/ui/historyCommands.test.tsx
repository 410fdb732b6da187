/**
 * The history policy in the chat screen, with an in-memory Conversation: /history, the status line's note when the
 * history was evaluated under older steering, /reeval with progress and Esc, and the progress of a long prefill.
 */
import React from "react";
import {afterEach, describe, expect, it} from "vitest";
import type {ReevaluateResult, Reply, SendOptions} from "../../src/engine/conversation.js";
import {App} from "../../src/ui/App.js";
import {ChatSession} from "../../src/session/chatSession.js";
import {FakeConversation} from "../helpers/fakeConversation.js";
import {inAct, keys, mount, press, waitForFrame} from "../helpers/ink.js";

let cleanup: (() => void) | undefined;
afterEach(() => {
    cleanup?.();
    cleanup = undefined;
});

async function start(conversation: FakeConversation) {
    const app = await mount(<App session={new ChatSession({conversation, modelName: "m.gguf"})} />);
    cleanup = () => app.unmount();
    return app;
}

async function submit(app: {stdin: {write: (data: string) => void}, lastFrame: () => string | undefined}, text: string) {
    await inAct(() => { app.stdin.write(text); });
    await waitForFrame(app.lastFrame, (f) => f.includes(`› ${text}`));
    await press(app.stdin, keys.enter);
}

const statusLine = (frame: string) => frame.split("\n").find((l) => l.includes("m.gguf · raw")) ?? "";

/** waits for the signal (Esc) in reevaluate, after reporting the first batch */
class StoppableReeval extends FakeConversation {
    override async reevaluate(
        {signal, onProgress}: {signal?: AbortSignal, onProgress?: (done: number, total: number) => void} = {}): Promise<ReevaluateResult> {
        this.reevaluateCalls++;
        onProgress?.(64, 280);
        await new Promise<void>((resolve) => signal?.addEventListener("abort", () => resolve()));
        this.staleTokens = 0;
        return {evaluated: 64, total: 280, stopped: true};
    }
}

/** reports a long prefill before the reply, then waits for release() */
class LongPrefill extends FakeConversation {
    override async send(text: string, options: SendOptions = {}): Promise<Reply> {
        options.onPrefill?.(128, 300);
        this.script = {chunks: ["done"], pauseBefore: 0};
        return super.send(text, options);
    }
}

describe("the history policy in the chat", () => {
    it("/history shows the policy; /history reeval|keep sets it", async () => {
        const conversation = new FakeConversation();
        conversation.historyPolicy = "keep";
        const app = await start(conversation);
        await submit(app, "/history");
        await waitForFrame(app.lastFrame, (f) => f.includes("History policy keep"));
        await submit(app, "/history reeval");
        await waitForFrame(app.lastFrame, (f) => f.includes("History policy reeval — after a steering change the next turn evaluates the history again"));
        expect(conversation.historyPolicy).toBe("reeval");
        await submit(app, "/history keep");
        await waitForFrame(app.lastFrame, (f) => f.includes("a steering change applies to new tokens from the next turn"));
        expect(conversation.historyPolicy).toBe("keep");
        expect(conversation.sent).toEqual([]);
    });

    it("the status line says when the history was evaluated under older steering; /reeval brings it up to date", async () => {
        const conversation = new FakeConversation();
        conversation.historyPolicy = "keep";
        conversation.staleTokens = 280;
        const app = await start(conversation);
        await submit(app, "hello");
        const stale = await waitForFrame(app.lastFrame, (f) => f.includes("Hello there!") && f.includes("under older steering"));
        expect(statusLine(stale)).toContain("280 tok under older steering: /reeval");
        await submit(app, "/reeval");
        const done = await waitForFrame(app.lastFrame, (f) => f.includes("Evaluated the history again: 280 tokens"));
        expect(conversation.reevaluateCalls).toBe(1);
        expect(statusLine(done)).not.toContain("older steering");
    });

    it("/reeval shows its progress and Esc stops it, saying how far it got", async () => {
        const conversation = new StoppableReeval();
        conversation.staleTokens = 280;
        const app = await start(conversation);
        await submit(app, "/reeval");
        await waitForFrame(app.lastFrame, (f) => f.includes("evaluating the history") && f.includes("64/280 tokens (Esc stops)"));
        await press(app.stdin, keys.escape);
        await waitForFrame(app.lastFrame, (f) => f.includes("Stopped: 64 of 280 history tokens evaluated again (the next turn does the rest)"));
    });

    it("a turn that first evaluates a long stretch of history shows its progress until the reply starts", async () => {
        const conversation = new LongPrefill();
        const app = await start(conversation);
        await submit(app, "go");
        await waitForFrame(app.lastFrame, (f) => f.includes("evaluating the history") && f.includes("128/300 tokens"));
        conversation.release();
        const after = await waitForFrame(app.lastFrame, (f) => f.includes("done") && !f.includes("evaluating the history"));
        expect(after).not.toContain("128/300");
    });
});
