import {describe, expect, it} from "vitest";
import {describeTiming, perplexity, sideBySide, sweepTable, sweepValues, transcriptJson, transcriptMarkdown,
    transcriptText} from "../../src/session/transcript.js";
import type {ChatMessage} from "../../src/session/types.js";

const messages: ChatMessage[] = [
    {id: 0, role: "user", text: "Once upon a time"},
    {id: 1, role: "assistant", text: ", a dog.", reply: {tokenCount: 3, stopReason: "eos", tokensPerSecond: 10, meanLogProb: Math.log(0.25)},
        steering: [{name: "happy", source: "/v/happy.gguf", coefficient: 0.5, enabled: true, layers: {start: 2, end: 4}}]},
    {id: 2, role: "note", text: "not part of the transcript"}
];

describe("transcripts and tables", () => {
    it("writes each turn with the steering it was made with, as JSON and Markdown", () => {
        const json = JSON.parse(transcriptJson(messages, {model: "m.gguf", mode: "raw", systemPrompt: "Be nice."}));
        expect(json).toMatchObject({model: "m.gguf", mode: "raw", systemPrompt: "Be nice."});
        expect(json.turns).toEqual([
            {role: "user", text: "Once upon a time"},
            {role: "assistant", text: ", a dog.", stopReason: "eos", tokenCount: 3, tokensPerSecond: 10, meanLogProb: Math.log(0.25), perplexity: 4,
                steering: [{name: "happy", source: "/v/happy.gguf", coefficient: 0.5, enabled: true, layers: [2, 4]}]}
        ]);
        const md = transcriptMarkdown(messages, {model: "m.gguf", mode: "raw"});
        expect(md).toContain("## Model — happy +0.50 L2-4 (perplexity 4.00)\n\n, a dog.");
        expect(md).not.toContain("not part of the transcript");
    });

    it("records per reply the condition gate's decision (--when) and the prompt's z", () => {
        const gated: ChatMessage = {id: 1, role: "assistant", text: "x", reply: {tokenCount: 1, stopReason: "eos", tokensPerSecond: 1, meanLogProb: 0},
            gate: {vector: "sue", op: ">", threshold: 0.5, z: -0.25, open: false}};
        const json = JSON.parse(transcriptJson([gated], {model: "m", mode: "raw"}));
        expect(json.turns[0].gate).toEqual({vector: "sue", op: ">", threshold: 0.5, z: -0.25, open: false});
        expect(transcriptMarkdown([gated], {model: "m", mode: "raw"})).toContain("## Model — no steering (perplexity 1.00) · when sue>0.5: prompt z -0.25, not steered");
        expect(transcriptText([gated], {model: "m", mode: "raw"})).toContain("when sue>0.5: prompt z -0.25, not steered:");
    });

    it("records per reply the history policy and whether the history was evaluated again or read stale", () => {
        const record = (history: NonNullable<ChatMessage["reply"]>["history"]): ChatMessage =>
            ({id: 1, role: "assistant", text: "x", reply: {tokenCount: 1, stopReason: "eos", tokensPerSecond: 1, meanLogProb: 0, history}});
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
    const sampling = {temperature: 0.5, topK: 40, topP: 0.95, minP: 0.05, maxTokens: 64, seed: 3};
    const session: ChatMessage[] = [
        {id: 0, role: "user", text: "Hi"},
        {id: 1, role: "assistant", text: " there", sampling, steering: [],
            reply: {tokenCount: 1, stopReason: "eos", tokensPerSecond: 20, meanLogProb: -1, timing: {firstTokenSeconds: 0.25, promptTokens: 50, promptTokensPerSecond: 200}}},
        {id: 2, role: "note", text: "off │ on", trial: "compare"},
        {id: 3, role: "note", text: "just a note"},
        {id: 4, role: "note", text: "Conversation cleared.", cleared: true},
        {id: 5, role: "user", text: "Again"}
    ];

    it("JSON: each reply's sampling and timing, the /compare result, where /clear started again; plain notes stay out", () => {
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
        expect(md).not.toContain("just a note");
    });

    it("Markdown and plain text: each reply's stop reason, tokens, speed and timing; plain text has no Markdown", () => {
        const cut: ChatMessage = {id: 6, role: "assistant", text: "and so", steering: [],
            reply: {tokenCount: 64, stopReason: "maxTokens", tokensPerSecond: 31.25, meanLogProb: -1}};
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
