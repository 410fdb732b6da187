import {describe, expect, it} from "vitest";
import {describeTiming, perplexity, sideBySide, sweepTable, sweepValues, transcriptJson, transcriptMarkdown,
    transcriptText} from "../../src/session/transcript.js";
import type {ReplyEntry, TranscriptEntry} from "../../src/session/turnLog.js";
import {DEFAULT_SAMPLING, type SamplingOptions} from "../../src/engine/sampling.js";

/** a reply as the session's transcript records it */
const replyEntry = (id: number, text: string, stats: ReplyEntry["stats"], more: Partial<ReplyEntry> = {}): ReplyEntry =>
    ({kind: "reply", id, text, tokens: [], stats, steering: [], sampling: DEFAULT_SAMPLING, policy: "all", outcome: "complete", ...more});

const messages: TranscriptEntry[] = [
    {kind: "user", id: 0, text: "Once upon a time"},
    replyEntry(1, ", a dog.", {tokenCount: 3, stopReason: "eos", tokensPerSecond: 10, meanLogProb: Math.log(0.25)},
        {steering: [{name: "happy", source: "/v/happy.gguf", coefficient: 0.5, enabled: true, layers: {start: 2, end: 4}}]})
];

describe("transcripts and tables", () => {
    it("writes each turn with the steering it was made with, as JSON and Markdown", () => {
        const json = JSON.parse(transcriptJson(messages, {model: "m.gguf", mode: "raw", systemPrompt: "Be nice."}));
        expect(json).toMatchObject({model: "m.gguf", mode: "raw", systemPrompt: "Be nice."});
        expect(json.turns).toEqual([
            {role: "user", text: "Once upon a time"},
            {role: "assistant", text: ", a dog.", outcome: "complete", stopReason: "eos", tokenCount: 3, tokensPerSecond: 10,
                meanLogProb: Math.log(0.25), perplexity: 4, policy: "all", sampling: DEFAULT_SAMPLING,
                steering: [{name: "happy", source: "/v/happy.gguf", coefficient: 0.5, enabled: true, layers: [2, 4]}]}
        ]);
        const md = transcriptMarkdown(messages, {model: "m.gguf", mode: "raw"});
        expect(md).toContain("## Model — happy +0.50 L2-4 (perplexity 4.00)\n\n, a dog.");
    });

    it("records each reply's steering policy: in JSON always, in Markdown and text when it is not every token", () => {
        const stats = {tokenCount: 2, stopReason: "eos" as const, tokensPerSecond: 1, meanLogProb: 0};
        const turns: TranscriptEntry[] = [{kind: "user", id: 0, text: "Hi"}, replyEntry(1, "a", stats, {policy: "reply"}),
            replyEntry(2, "b", stats, {policy: "from:4"}), replyEntry(3, "c", stats)];
        const json = JSON.parse(transcriptJson(turns, {model: "m", mode: "raw"}));
        expect(json.turns.slice(1).map((t: {policy: string}) => t.policy)).toEqual(["reply", "from:4", "all"]);
        const headings = (text: string) => text.split("\n").filter((l) => /^(## )?Model/.test(l));
        expect(headings(transcriptMarkdown(turns, {model: "m", mode: "raw"}))).toEqual([
            "## Model — no steering · steering reply (reply only) (perplexity 1.00)",
            "## Model — no steering · steering from:4 (reply tokens from 4 on) (perplexity 1.00)",
            "## Model — no steering (perplexity 1.00)"
        ]);
        expect(headings(transcriptText(turns, {model: "m", mode: "raw"}))[0]).toBe("Model — no steering · steering reply (reply only) (perplexity 1.00):");
    });

    it("a reply that failed mid-way: its partial text, marked failed with the error, in every format", () => {
        const turns: TranscriptEntry[] = [{kind: "user", id: 0, text: "Hi", failed: true},
            replyEntry(1, "half", undefined, {outcome: "failed", error: "the model fell over"})];
        const json = JSON.parse(transcriptJson(turns, {model: "m", mode: "raw"}));
        expect(json.turns).toMatchObject([{role: "user", text: "Hi", failed: true},
            {role: "assistant", text: "half", outcome: "failed", error: "the model fell over", policy: "all"}]);
        expect(json.turns[1].stopReason).toBeUndefined();
        expect(transcriptMarkdown(turns, {model: "m", mode: "raw"})).toContain("## Model (failed mid-reply) — no steering\n\nhalf\n\n_failed: the model fell over_");
        expect(transcriptText(turns, {model: "m", mode: "raw"})).toContain("Model (failed mid-reply) — no steering:\nhalf\n[failed: the model fell over]");
    });

    it("records per reply the condition gate's decision (--when) and the prompt's z", () => {
        const gated = replyEntry(1, "x", {tokenCount: 1, stopReason: "eos", tokensPerSecond: 1, meanLogProb: 0},
            {gate: {vector: "sue", op: ">", threshold: 0.5, z: -0.25, open: false}});
        const json = JSON.parse(transcriptJson([gated], {model: "m", mode: "raw"}));
        expect(json.turns[0].gate).toEqual({vector: "sue", op: ">", threshold: 0.5, z: -0.25, open: false});
        expect(transcriptMarkdown([gated], {model: "m", mode: "raw"})).toContain("## Model — no steering (perplexity 1.00) · when sue>0.5: prompt z -0.25, not steered");
        expect(transcriptText([gated], {model: "m", mode: "raw"})).toContain("when sue>0.5: prompt z -0.25, not steered:");
    });

    it("records per reply the history policy and whether the history was evaluated again or read stale", () => {
        const record = (history: NonNullable<ReplyEntry["stats"]>["history"]): ReplyEntry =>
            replyEntry(1, "x", {tokenCount: 1, stopReason: "eos", tokensPerSecond: 1, meanLogProb: 0, history});
        const reevaluated = record({policy: "reeval", reevaluated: true, evaluatedTokens: 300, staleTokens: 0});
        const stale = record({policy: "keep", reevaluated: false, evaluatedTokens: 12, staleTokens: 280});
        const fresh = record({policy: "keep", reevaluated: false, evaluatedTokens: 12, staleTokens: 0});
        const json = JSON.parse(transcriptJson([reevaluated, stale], {model: "m", mode: "raw"}));
        expect(json.turns.map((t: {history: unknown}) => t.history)).toEqual([
            {policy: "reeval", reevaluated: true, evaluatedTokens: 300, staleTokens: 0},
            {policy: "keep", reevaluated: false, evaluatedTokens: 12, staleTokens: 280}
        ]);
        const md = transcriptMarkdown([reevaluated, stale, fresh], {model: "m", mode: "raw"}).split("\n").filter((l) => l.startsWith("## Model"));
        expect(md).toEqual([
            "## Model — no steering (perplexity 1.00) · history reeval, evaluated again",
            "## Model — no steering (perplexity 1.00) · history keep, 280 tokens under older steering",
            "## Model — no steering (perplexity 1.00) · history keep"
        ]);
        // a reply without a record (e.g. from an older transcript) has no history note
        expect(transcriptMarkdown(messages, {model: "m", mode: "raw"})).not.toContain("history");
    });

    it("perplexity is exp(−mean log-probability)", () => {
        expect(perplexity(0)).toBe(1);
        expect(perplexity(Math.log(0.1))).toBeCloseTo(10, 10);
        expect(perplexity(undefined)).toBeUndefined();
    });

    it("lays out /compare in two columns and /sweep as a table", () => {
        const cols = sideBySide({title: "off", text: "short"}, {title: "happy +1.00", text: "a much longer reply that has to wrap onto more lines"}, 60).split("\n");
        expect(cols[0]).toMatch(/^off\s+│ happy \+1\.00$/);
        expect(cols.length).toBeGreaterThan(3);
        expect(cols.every((l) => l.includes("│"))).toBe(true);
        const table = sweepTable("happy", [{coefficient: -1, text: "sad\nstory", meanLogProb: Math.log(0.5)}, {coefficient: 1, text: "x".repeat(200), meanLogProb: undefined}], 60).split("\n");
        expect(table[2]).toMatch(/^-1\.00\s+│ 2\.00\s+│ sad story$/);
        expect(table[3]).toMatch(/^\+1\.00\s+│ —\s+│ x+…$/);
        expect(table[3]!.length).toBeLessThanOrEqual(60);
    });

    it("sweep values are exact steps from A to B in either direction", () => {
        expect(sweepValues(-1, 1, 0.5)).toEqual([-1, -0.5, 0, 0.5, 1]);
        expect(sweepValues(0, 0.3, 0.1)).toEqual([0, 0.1, 0.2, 0.3]);
        expect(sweepValues(2, 1, 0.5)).toEqual([2, 1.5, 1]);
    });
});

describe("what /save keeps besides the exchange", () => {
    const sampling: SamplingOptions = {temperature: 0.5, topK: 40, topP: 0.95, minP: 0.05, maxTokens: 64, seed: 3};
    const session: TranscriptEntry[] = [
        {kind: "user", id: 0, text: "Hi"},
        replyEntry(1, " there", {tokenCount: 1, stopReason: "eos", tokensPerSecond: 20, meanLogProb: -1,
            timing: {firstTokenSeconds: 0.25, promptTokens: 50, promptTokensPerSecond: 200}}, {sampling}),
        {kind: "trial", id: 2, command: "compare", text: "off │ on"},
        {kind: "cleared", id: 4},
        {kind: "user", id: 5, text: "Again"}
    ];

    it("JSON: each reply's sampling and timing, the /compare result, where /clear started again", () => {
        const json = JSON.parse(transcriptJson(session, {model: "m", mode: "raw", sampling}));
        expect(json.sampling).toEqual(sampling);
        expect(json.turns.map((t: {role: string}) => t.role)).toEqual(["user", "assistant", "trial", "cleared", "user"]);
        expect(json.turns[1]).toMatchObject({sampling, timing: {firstTokenSeconds: 0.25, promptTokens: 50}});
        expect(json.turns[2]).toEqual({role: "trial", command: "/compare", text: "off │ on"});
    });

    it("Markdown: the sampling at the top, the /compare block, a rule where /clear started again", () => {
        const md = transcriptMarkdown(session, {model: "m", mode: "raw", sampling});
        expect(md).toContain("- sampling: temperature 0.5");
        expect(md).toContain("## /compare\n\n```\noff │ on\n```");
        expect(md).toContain("---\n\n_/clear: the conversation started again here_\n\n## You\n\nAgain");
    });

    it("Markdown and plain text: each reply's stop reason, tokens, speed and timing; plain text has no Markdown", () => {
        const cut = replyEntry(6, "and so", {tokenCount: 64, stopReason: "maxTokens", tokensPerSecond: 31.25, meanLogProb: -1});
        const md = transcriptMarkdown([...session, cut], {model: "m", mode: "raw", sampling});
        expect(md).toContain(" there\n\n_ended by the model · 1 tokens at 20.0 tok/s · first token 0.25 s (200 prompt tok/s)_");
        expect(md).toContain("and so\n\n_hit --max-tokens · 64 tokens at 31.3 tok/s_");
        const text = transcriptText([...session, cut], {model: "m", mode: "raw", sampling});
        expect(text).toContain("You:\nHi\n\nModel — no steering (perplexity 2.72):\n there\n[ended by the model · 1 tokens at 20.0 tok/s · first token 0.25 s");
        expect(text).toContain("[hit --max-tokens · 64 tokens at 31.3 tok/s]");
        expect(text).toContain("/compare:\noff │ on");
        expect(text).toContain("--- /clear: the conversation started again here ---");
        expect(text).not.toMatch(/^#|```|^_/m);
    });

    it("timings read as llama-cli prints them", () => {
        expect(describeTiming({firstTokenSeconds: 0.25, promptTokens: 50, promptTokensPerSecond: 200})).toBe("first token 0.25 s (200 prompt tok/s)");
        expect(describeTiming({firstTokenSeconds: 0.1, promptTokens: 0, promptTokensPerSecond: 0})).toBe("first token 0.10 s");
    });
});
