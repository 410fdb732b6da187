/** The chat's small components on their own: the status line, finished messages and the progress bar. */
import React from "react";
import {describe, expect, it} from "vitest";
import {render} from "ink-testing-library";
import {MessageView} from "../../src/ui/components/MessageView.js";
import {ProgressBar} from "../../src/ui/components/ProgressBar.js";
import {StatusBar} from "../../src/ui/components/StatusBar.js";
import type {ChatMessage} from "../../src/ui/types.js";

const frameOf = (node: React.ReactElement) => {
    const app = render(node);
    const frame = app.lastFrame() ?? "";
    app.unmount();
    return frame;
};

describe("StatusBar", () => {
    it("shows model, mode, context used/size with a rounded percentage, and /help when idle", () => {
        const frame = frameOf(<StatusBar modelName="m.gguf" mode="raw" contextUsage={{used: 341, size: 1024}} tokensPerSecond={undefined} busy={false} />);
        expect(frame).toContain(`m.gguf · raw · ctx 341/1024 (${Math.round(341 / 1024 * 100)}%)`);
        expect(frame).toContain("/help");
        expect(frame).not.toContain("tok/s");
        expect(frame).not.toContain("ppl");
    });

    it("shows the last reply's speed (one decimal) and perplexity, and 'Esc to stop' while busy", () => {
        const frame = frameOf(<StatusBar modelName="m.gguf" mode="chat" contextUsage={{used: 10, size: 100}} tokensPerSecond={7.25} meanLogProb={-1} busy={true} />);
        expect(frame).toContain("chat · ctx 10/100 (10%)");
        expect(frame).toContain(`${(7.25).toFixed(1)} tok/s`);
        expect(frame).toContain(`ppl ${Math.E.toFixed(2)}`);
        expect(frame).toContain("Esc to stop");
        expect(frame).not.toContain("/help");
    });

    it("says how much of the history was evaluated under older steering, and that /reeval redoes it", () => {
        const current = frameOf(<StatusBar modelName="m" mode="raw" contextUsage={{used: 300, size: 1024, staleTokens: 0}} tokensPerSecond={undefined} busy={false} />);
        expect(current).toContain("ctx 300/1024 (29%) · /help");
        const stale = frameOf(<StatusBar modelName="m" mode="raw" contextUsage={{used: 300, size: 1024, staleTokens: 280}} tokensPerSecond={undefined} busy={false} />);
        expect(stale).toContain("ctx 300/1024 (29%) · 280 tok under older steering: /reeval · /help");
    });

    it("does not divide by zero on an empty context size and hides a zero speed", () => {
        const frame = frameOf(<StatusBar modelName="m" mode="raw" contextUsage={{used: 0, size: 0}} tokensPerSecond={0} busy={false} />);
        expect(frame).toContain("ctx 0/0 (0%)");
        expect(frame).not.toContain("tok/s");
        expect(frame).not.toMatch(/NaN|Infinity/);
    });
});

describe("MessageView", () => {
    const reply = (stopReason: "eos" | "maxTokens" | "aborted" | "contextFull", meanLogProb?: number): ChatMessage => ({
        id: 1, role: "assistant", text: "the reply",
        reply: {tokenCount: 3, stopReason, tokensPerSecond: 5, meanLogProb}
    });

    it("user messages are prefixed with ›", () => {
        expect(frameOf(<MessageView message={{id: 0, role: "user", text: "hi there"}} />)).toContain("› hi there");
    });

    it("notes how a reply ended unless it ended normally", () => {
        expect(frameOf(<MessageView message={reply("eos")} />)).not.toContain("[");
        expect(frameOf(<MessageView message={reply("aborted")} />)).toContain("[stopped]");
        expect(frameOf(<MessageView message={reply("maxTokens")} />)).toContain("[hit --max-tokens]");
        expect(frameOf(<MessageView message={reply("contextFull")} />)).toContain("[context full]");
        expect(frameOf(<MessageView message={reply("aborted", -0.25)} />)).toContain(`[stopped · ppl ${Math.exp(0.25).toFixed(2)}]`);
    });

    it("shows notes and errors as their text", () => {
        expect(frameOf(<MessageView message={{id: 2, role: "note", text: "Conversation cleared."}} />)).toContain("Conversation cleared.");
        expect(frameOf(<MessageView message={{id: 3, role: "error", text: "it broke"}} />)).toContain("it broke");
    });
});

describe("ProgressBar", () => {
    it("fills in proportion, clamps to 0..100% and treats NaN as 0", () => {
        expect(frameOf(<ProgressBar fraction={0.5} width={10} label="5 MB" />)).toBe("[█████░░░░░] 50% 5 MB");
        expect(frameOf(<ProgressBar fraction={2} width={4} />)).toBe("[████] 100%");
        expect(frameOf(<ProgressBar fraction={-1} width={4} />)).toBe("[░░░░] 0%");
        expect(frameOf(<ProgressBar fraction={Number.NaN} width={4} />)).toBe("[░░░░] 0%");
    });
});
