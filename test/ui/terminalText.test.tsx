/**
 * One rule for text steer-chat did not write itself on its way to the terminal (src/displayText.ts): a model's reply,
 * a preset's vector reference, a prompt history entry. An untrusted GGUF whose tokens hold escape sequences could
 * clear the screen or retitle the terminal from a reply; an OSC in a preset's vector reference retitled it from a
 * list. Here the chat's frame (ink-testing-library) and the pure rules; the CLI's side is in
 * test/hardening/terminalText.test.ts.
 */
import React from "react";
import {afterEach, describe, expect, it} from "vitest";
import {displayLines, displayQuoted, displayText, forTerminal} from "../../src/displayText.js";
import {describePreset} from "../../src/presets/applyPreset.js";
import {App} from "../../src/ui/App.js";
import {PromptHistory} from "../../src/ui/promptHistory.js";
import {ChatSession} from "../../src/session/chatSession.js";
import {FakeConversation} from "../helpers/fakeConversation.js";
import {keys, mount, press, typeText, waitForFrame} from "../helpers/ink.js";

const OSC_TITLE = "\u001b]0;pwned\u0007";
const CLEAR = "\u001b[2J";
const C1_CLEAR = "\u009b2J";
/** what must never reach the terminal from these texts: an OSC, a clear, a C1 CSI, a BEL */
const RAW = /\u001b\]|\u001b\[2J|\u009b|\u0007/;

let unmount: (() => void) | undefined;
afterEach(() => {
    unmount?.();
    unmount = undefined;
});

describe("the rule", () => {
    it("displayLines escapes controls, ESC and C1 and keeps line breaks and tabs; plain text is returned as it is", () => {
        expect(displayLines(`a${OSC_TITLE}b\n\tc${CLEAR}${C1_CLEAR}\r\nd\re\u202e`)).toBe("a\\e]0;pwned\\u0007b\n\tc\\e[2J\\u009b2J\nd\\re\\u202e");
        const plain = "The dog ran.\nIt was happy 👍🏽 — 你好";
        expect(displayLines(plain)).toBe(plain);
        expect(displayLines("lone \ud800 half, pair 😀")).toBe("lone \\ud800 half, pair 😀");
    });

    it("displayText is the same escapes on one line, bounded; displayQuoted also escapes quotes", () => {
        expect(displayText(`x${OSC_TITLE}\ny`)).toBe("x\\e]0;pwned\\u0007\\ny");
        expect(displayQuoted(`say "hi"\\${CLEAR}`)).toBe('"say \\"hi\\"\\\\\\e[2J"');
    });

    it("forTerminal escapes on a terminal and leaves a pipe's text exact", () => {
        expect(forTerminal(`a${CLEAR}`, {isTTY: true})).toBe("a\\e[2J");
        expect(forTerminal(`a${CLEAR}`, {isTTY: false})).toBe(`a${CLEAR}`);
        expect(forTerminal(`a${CLEAR}`, {})).toBe(`a${CLEAR}`);
    });

    it("a preset's vector reference is escaped where presets are described (preset list, /preset list, the picker)", () => {
        const described = describePreset({name: "evil", vectors: [{vector: `${OSC_TITLE}x`, coefficient: 0.5}]});
        expect(described).not.toMatch(RAW);
        expect(described).toContain("\\e]0;pwned\\u0007x +0.50");
    });
});

describe("the chat's frame", () => {
    const reply = ["Once", ` ${OSC_TITLE}${CLEAR}`, ` upon${C1_CLEAR}`, " a time\n", `next${OSC_TITLE} line\n`, "end"];

    for (const mode of ["raw", "chat"] as const) {
        it(`a reply whose tokens hold escape sequences is shown escaped, while written and after (${mode} mode)`, async () => {
            const conversation = new FakeConversation(mode);
            conversation.script = {chunks: reply, pauseBefore: 4};
            const app = await mount(<App session={new ChatSession({conversation, modelName: "tiny.gguf"})} />);
            unmount = app.unmount;
            await typeText(app.stdin, "Once upon");
            await press(app.stdin, keys.enter);
            // while it is written (the live area) ...
            let frame = await waitForFrame(app.lastFrame, (f) => f.includes("a time"));
            expect(frame).toContain("\\e]0;pwned\\u0007\\e[2J");
            expect(frame).toContain("\\u009b2J");
            expect(frame).not.toMatch(RAW);
            conversation.release();
            // ... and once it is in the transcript
            frame = await waitForFrame(app.lastFrame, (f) => f.includes("end") && !f.includes("Esc to stop"));
            expect(frame).toContain("next\\e]0;pwned\\u0007 line");
            for (const written of app.frames) expect(written).not.toMatch(RAW);
        });
    }

    it("a prompt history entry (from a file) recalled with ↑ brings no control bytes to the prompt", async () => {
        const conversation = new FakeConversation();
        const history = new PromptHistory([`evil${OSC_TITLE}${CLEAR}${C1_CLEAR}`]);
        const app = await mount(<App session={new ChatSession({conversation, modelName: "tiny.gguf"})} history={history} />);
        unmount = app.unmount;
        await press(app.stdin, keys.up);
        const frame = await waitForFrame(app.lastFrame, (f) => f.includes("› evil"));
        expect(frame).not.toMatch(RAW);
        await press(app.stdin, keys.enter);
        await waitForFrame(app.lastFrame, (f) => f.includes("Hello there!"));
        expect(conversation.sent).toEqual(["evil]0;pwned[2J2J"]);
        for (const written of app.frames) expect(written).not.toMatch(RAW);
    });
});
