/** The chat's small components on their own: the status line, finished messages and the progress bar. */
import {mkdtempSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import React from "react";
import {listVectors} from "../../src/steering/vectorLibrary.js";
import {listRecipes} from "../../src/training/recipes.js";
import {vectorPickerItems} from "../../src/ui/components/Overlays.js";
import {describe, expect, it} from "vitest";
import {render} from "ink-testing-library";
import {MessageView} from "../../src/ui/components/MessageView.js";
import {ProgressBar} from "../../src/ui/components/ProgressBar.js";
import {StatusBar} from "../../src/ui/components/StatusBar.js";
import type {ChatMessage} from "../../src/ui/chatMessage.js";
import type {ReplyEntry} from "../../src/session/turnLog.js";
import {DEFAULT_SAMPLING} from "../../src/engine/sampling.js";

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

    it("after trials dropped the cache: the history still counts, with how much the next turn evaluates again", () => {
        const frame = frameOf(<StatusBar modelName="m" mode="raw" contextUsage={{used: 300, size: 1024, staleTokens: 0, unevaluated: 300}}
            tokensPerSecond={undefined} busy={false} />);
        expect(frame).toContain("ctx 300/1024 (29%) · 300 tok to evaluate again next turn · /help");
    });

    it("one perplexity, labelled: the gauge's is the unsteered model's; figures that do not fit go on a line of their own, not cut off", () => {
        const gauge = {tokens: 40, kl: 0.42, klMax: 1.5, repetition: 0.12, n: 3, perplexity: 8.31, steeredPerplexity: 2.72};
        const props = {mode: "chat" as const, contextUsage: {used: 812, size: 2048, staleTokens: 0}, tokensPerSecond: 41.26, meanLogProb: -1,
            busy: false, gauge};
        // ink-testing-library draws 100 columns wide
        const fits = frameOf(<StatusBar {...props} modelName="m" columns={100} />);
        expect(fits.split("\n")).toHaveLength(1);
        expect(fits).toContain("ctx 812/2048 (40%) · 41.3 tok/s · KL 0.42 · rep 12% · unsteered ppl 8.3 · /help");
        expect(fits.match(/ppl/g)).toHaveLength(1); // the reply's own ppl is under the reply, not here too
        const long = frameOf(<StatusBar {...props} modelName="Qwen2.5-0.5B-Instruct-Q4_K_M.gguf" columns={100}
            timing={{firstTokenSeconds: 0.31, promptTokens: 120, promptTokensPerSecond: 880}} />);
        const lines = long.split("\n");
        expect(lines[0]).toBe("Qwen2.5-0.5B-Instruct-Q4_K_M.gguf · chat · ctx 812/2048 (40%) · /help");
        expect(lines.slice(1).join(" ").replace(/\s+/g, " "))
            .toContain("last reply: first token 0.31 s (880 prompt tok/s) · 41.3 tok/s · KL 0.42 · rep 12% · unsteered ppl 8.3");
    });

    it("does not divide by zero on an empty context size and hides a zero speed", () => {
        const frame = frameOf(<StatusBar modelName="m" mode="raw" contextUsage={{used: 0, size: 0}} tokensPerSecond={0} busy={false} />);
        expect(frame).toContain("ctx 0/0 (0%)");
        expect(frame).not.toContain("tok/s");
        expect(frame).not.toMatch(/NaN|Infinity/);
    });
});

describe("MessageView", () => {
    const entry = (text: string, stats?: ReplyEntry["stats"], outcome: ReplyEntry["outcome"] = "complete"): ReplyEntry => ({
        kind: "reply", id: 1, text, tokens: [], stats, steering: [], sampling: DEFAULT_SAMPLING, policy: "all", outcome});
    const reply = (stopReason: "eos" | "maxTokens" | "aborted" | "contextFull", meanLogProb?: number): ChatMessage => ({
        id: 1, role: "assistant", reply: entry("the reply", {tokenCount: 3, stopReason, tokensPerSecond: 5, meanLogProb})
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

    it("marks a reply that failed mid-way, showing the part the session recorded", () => {
        const failed = frameOf(<MessageView message={{id: 5, role: "assistant", reply: entry("half a", undefined, "failed")}} />);
        expect(failed).toBe("half a\n[failed]");
    });

    it("shows a stream part as its range of the draft", () => {
        const draft = {id: 9, text: "one\ntwo\nthree"};
        expect(frameOf(<MessageView message={{id: 6, role: "stream", draft, start: 4, end: 7}} />)).toBe("two");
    });

    it("draws a chat-mode reply as Markdown at the width given, a raw-mode reply as it is", () => {
        const text = "- one two three four\n```\ncode\n```";
        const message: ChatMessage = {id: 4, role: "assistant", reply: entry(text)};
        expect(frameOf(<MessageView message={message} markdown columns={12} />).split("\n")).toEqual(["• one two", "  three four", "┌─", "│ code", "└─"]);
        expect(frameOf(<MessageView message={message} />)).toBe(text);
        // the part of a reply printed after its first lines goes on in the code block they opened
        const rest: ChatMessage = {id: 4, role: "assistant", reply: entry("```\nmore\n```"), shownFrom: 4, openFence: "```"};
        expect(frameOf(<MessageView message={rest} markdown columns={40} />)).toBe("│ more\n└─");
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

describe("the a picker's rows", () => {
    it("marks vectors that do not fit the model and lists the recipes that would train for it", async () => {
        const saved = process.env.STEER_CHAT_CONFIG_DIR;
        process.env.STEER_CHAT_CONFIG_DIR = mkdtempSync(path.join(os.tmpdir(), "steer-picker-")); // no user vectors: the shipped ones
        const vectors = await listVectors().finally(() => {
            if (saved == null) delete process.env.STEER_CHAT_CONFIG_DIR;
            else process.env.STEER_CHAT_CONFIG_DIR = saved;
        });
        const recipes = listRecipes().map((r) => r.name);
        expect(recipes).toContain("formal");
        const wide = vectorPickerItems(vectors, recipes, {nEmbd: 256, nLayer: 6});
        expect(wide.find((i) => i.value === "dog")?.hint).toMatch(/^does not fit: n_embd 64, the model has 256 · shipped$/);
        expect(wide.find((i) => i.value === "happy")?.hint).toMatch(/^does not fit: .* · adding trains its recipe$/);
        expect(wide.filter((i) => i.value === "happy")).toHaveLength(1);
        expect(wide.find((i) => i.value === "formal")?.hint).toBe("recipe · train for this model");
        const fits = vectorPickerItems(vectors, recipes, {nEmbd: 64, nLayer: 5});
        expect(fits.find((i) => i.value === "happy")?.hint).toMatch(/^n_embd 64 · 4 layers · no score · shipped$/);
        expect(fits.find((i) => i.value === "formal")?.hint).toBe("recipe · train for this model");
        const shallow = vectorPickerItems(vectors, recipes, {nEmbd: 64, nLayer: 3});
        expect(shallow.find((i) => i.value === "dog")?.hint).toMatch(/^does not fit: layer \d+, the model steers 1-2/);
    });
});
