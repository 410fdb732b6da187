/**
 * The check that steering acts runs after the chat is shown: the prompt takes and answers messages while it is still
 * running (an injected check the test releases), and its warning comes as a note when it finishes; a check that finds
 * nothing says nothing. A warning that comes while a reply is written waits under it, as every note does.
 */
import React from "react";
import {afterEach, describe, expect, it} from "vitest";
import {render} from "ink-testing-library";
import {ChatSession} from "../../src/session/chatSession.js";
import {App} from "../../src/ui/App.js";
import {FakeConversation} from "../helpers/fakeConversation.js";
import {submit} from "../helpers/chatScreen.js";
import {waitForFrame} from "../helpers/ink.js";

const WARNING = "Warning: a control vector added at layer 2 did not move layer 3: llama.cpp ignores control vectors on this model";

/** a check that runs until the test releases it, with the warning it is given */
function heldCheck() {
    let release!: (warning: string | undefined) => void;
    let calls = 0;
    const done = new Promise<string | undefined>((resolve) => { release = resolve; });
    return {check: () => { calls++; return done; }, release, calls: () => calls};
}

const idle = (f: string) => !f.includes("(Esc to stop)");

describe("the check that steering acts, after the chat is shown", () => {
    const mounted: (() => void)[] = [];
    afterEach(() => {
        for (const unmount of mounted.splice(0)) unmount();
    });

    function start(conversation: FakeConversation, check: () => Promise<string | undefined>) {
        const app = render(<App session={new ChatSession({conversation, modelName: "tiny"})} banner={["a start-up note"]} startupCheck={check} />);
        mounted.push(() => app.unmount());
        return app;
    }

    it("the prompt is usable while the check runs; its warning appears when it finishes", async () => {
        const held = heldCheck();
        const conversation = new FakeConversation();
        const app = start(conversation, held.check);
        await waitForFrame(app.lastFrame, (f) => f.includes("a start-up note"));
        expect(held.calls()).toBe(1); // started once the chat was drawn
        await submit(app, "hello");
        const answered = await waitForFrame(app.lastFrame, (f) => f.includes("Hello there!") && idle(f));
        expect(conversation.sent).toEqual(["hello"]); // answered before the check finished
        expect(answered).not.toContain("ignores control vectors");

        held.release(WARNING);
        const warned = await waitForFrame(app.lastFrame, (f) => f.includes("ignores control vectors"));
        expect(warned.indexOf("ignores control vectors")).toBeGreaterThan(warned.indexOf("Hello there!")); // after, not in the banner
        expect(held.calls()).toBe(1);
        await submit(app, "again");
        await waitForFrame(app.lastFrame, (f) => f.split("Hello there!").length === 3 && idle(f));
        expect(conversation.sent).toEqual(["hello", "again"]);
    });

    it("a check that finds steering acting says nothing", async () => {
        const held = heldCheck();
        const conversation = new FakeConversation();
        const app = start(conversation, held.check);
        await waitForFrame(app.lastFrame, (f) => f.includes("a start-up note"));
        held.release(undefined);
        await submit(app, "hello");
        const frame = await waitForFrame(app.lastFrame, (f) => f.includes("Hello there!") && idle(f));
        expect(frame).not.toMatch(/Warning|control vector/);
    });

    it("a warning that comes while a reply is written waits under it, then stays after it", async () => {
        const held = heldCheck();
        const conversation = new FakeConversation();
        conversation.script = {chunks: ["Once", " upon", " a time"], pauseBefore: 1};
        const app = start(conversation, held.check);
        await waitForFrame(app.lastFrame, (f) => f.includes("a start-up note"));
        await submit(app, "tell me");
        await waitForFrame(app.lastFrame, (f) => f.includes("Once") && f.includes("(Esc to stop)"));
        held.release(WARNING);
        const during = await waitForFrame(app.lastFrame, (f) => f.includes("ignores control vectors"));
        expect(during).toContain("(Esc to stop)"); // the reply is still being written
        conversation.release();
        const after = await waitForFrame(app.lastFrame, (f) => f.includes("Once upon a time") && idle(f));
        expect(after.indexOf("ignores control vectors")).toBeGreaterThan(after.indexOf("Once upon a time"));
    });
});
