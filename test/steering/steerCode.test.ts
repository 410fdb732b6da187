/**
 * `--steer-code off` on a model that writes fences, greedy: the demo model with its two quote tokens renamed to a
 * fence on a line of its own ("\n```\n"), so every quotation in its stories is a fenced code block (the weights are
 * the demo's: the same token ids come out, only their text differs). The gate switches the steering inside the
 * native loop at exact token boundaries, so a gated reply equals the reply made by hand one token at a time, with
 * the vector put on or cleared before each decode as the fence tracker says.
 */
import {readFileSync, writeFileSync} from "node:fs";
import path from "node:path";
import type {LlamaContextSequence, Token} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {createConversation, type Conversation} from "../../src/engine/conversation.js";
import {generateTokens, tokenizePrompt} from "../../src/engine/generateTokens.js";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {gguf} from "../../src/gguf/ggufWriter.js";
import {CodeFenceTracker} from "../../src/steering/codeFence.js";
import {SteeringController} from "../../src/steering/steeringController.js";
import {replyOnlySettings, type CodeSteering, type SteerPolicy} from "../../src/steering/steerPolicy.js";
import {editGgufMetadata} from "../helpers/ggufEdit.js";
import {storiesModel, tempDir} from "../helpers/steeringTestKit.js";

process.env.STEER_CHAT_DATA_DIR = tempDir("steer-data-");

const PROMPT = "Once upon a time, there was a little girl named Lily. She said";
const MAX = 90;
const greedy = {temperature: 0, topK: 40, topP: 0.95, minP: 0, maxTokens: MAX};
/** the demo vocabulary's quote tokens ('"' and '▁"') */
const QUOTES = [436, 313];

/** stories260K whose quote tokens are written as fence lines */
async function fencingModel(dir: string): Promise<string> {
    const {readGgufFileInfo} = await import("node-llama-cpp");
    const info = await readGgufFileInfo(storiesModel, {readTensorInfo: false});
    const tokens = [...(info.metadata as unknown as {tokenizer: {ggml: {tokens: string[]}}}).tokenizer.ggml.tokens];
    expect(QUOTES.map((id) => tokens[id])).toEqual(['"', '▁"']);
    tokens[436] = "\n```\n";
    tokens[313] = "▁\n```\n";
    const file = path.join(dir, "stories260K-fences.gguf");
    writeFileSync(file, editGgufMetadata(readFileSync(storiesModel), {"tokenizer.ggml.tokens": gguf.strArr(tokens)}));
    return file;
}

describe("steer-code off on a model that writes fences", () => {
    let loaded: LoadedModel;
    let controller: SteeringController;
    let sequence: LlamaContextSequence;
    let conversation: Conversation;
    let policy: SteerPolicy = "all";
    let code: CodeSteering = "off";

    beforeAll(async () => {
        loaded = await loadModel(await fencingModel(tempDir()), {gpu: false, contextSize: 256, threads: 1});
        controller = SteeringController.create(loaded.context, loaded.model);
        const entry = await controller.loadEntry("sue", 0.5);
        controller.update((s) => s.add(entry));
        controller.applyStaged();
        const getSequence = loaded.context.getSequence.bind(loaded.context);
        loaded.context.getSequence = (...args) => (sequence = getSequence(...args));
        conversation = createConversation(loaded, {mode: "raw", sampling: greedy, history: "keep",
            beforeTurn: () => controller.applyStaged(), settingsKey: () => controller.appliedState.signature(),
            replySettings: replyOnlySettings(controller, () => policy, () => code)});
    });
    afterAll(async () => {
        conversation?.dispose();
        await loaded?.dispose();
    });

    async function turn(turnPolicy: SteerPolicy, turnCode: CodeSteering) {
        policy = turnPolicy;
        code = turnCode;
        await conversation.clear();
        const reply = await conversation.send(PROMPT);
        return {tokens: reply.tokens, text: reply.text, staleTokens: conversation.contextUsage().staleTokens};
    }

    /**
     * By hand, one token at a time: before each decode the vector is put on when `steeredAt(count, inCode)` says so
     * (count: reply tokens so far; inCode: the tracker on their text), else cleared. Returns the tokens and, per
     * token, whether it was sampled inside a code block.
     */
    async function byHand(steeredAt: (count: number, inCode: boolean) => boolean) {
        await sequence.clearHistory();
        const fences = new CodeFenceTracker();
        const tokens: Token[] = [];
        const inCode: boolean[] = [];
        let text = "";
        try {
            let input = tokenizePrompt(loaded.model, PROMPT);
            while (tokens.length < MAX) {
                if (steeredAt(tokens.length, fences.inCode())) controller.reapply();
                else controller.applyUnsteered();
                inCode.push(fences.inCode());
                const step = await generateTokens(sequence, input, {...greedy, maxTokens: 1});
                if (step.tokens.length === 0) break;
                tokens.push(step.tokens[0]!);
                const next = loaded.model.detokenize(tokens, false, tokenizePrompt(loaded.model, PROMPT));
                fences.feed(next.slice(text.length));
                text = next;
                input = [step.tokens[0]!];
            }
        } finally {
            controller.reapply();
        }
        return {tokens, inCode: inCode.slice(0, tokens.length)};
    }

    it("the renamed model writes fenced blocks and the vector changes the text (else the rest proves nothing)", async () => {
        const all = await turn("all", "on");
        const plain = await byHand(() => false);
        expect(all.tokens).not.toEqual(plain.tokens);
        expect(all.text).toMatch(/\n```\n[^`]+\n```\n/);
    });

    it("code off: the tokens inside a fence are sampled unsteered, switched at exact token boundaries", async () => {
        const gated = await turn("all", "off");
        const reference = await byHand((_, inCode) => !inCode);
        expect(gated.tokens).toEqual(reference.tokens);
        // the reply went into a block and out of it again, and the gate changed the text
        const entered = reference.inCode.indexOf(true);
        expect(entered).toBeGreaterThan(0);
        expect(reference.inCode.indexOf(false, entered)).toBeGreaterThan(entered);
        expect(gated.tokens).not.toEqual((await turn("all", "on")).tokens);
        // the ledger: from the first token decoded unsteered on (the one before the first inside the block), the reply's
        // tokens are under mixed settings (raw mode leaves the last one undecoded)
        expect(gated.staleTokens).toBe(gated.tokens.length - entered);
    });

    it("code off under first:N steers N tokens and never inside a block", async () => {
        const n = 20;
        const gated = await turn(`first:${n}`, "off");
        expect(gated.tokens).toEqual((await byHand((count, inCode) => count < n && !inCode)).tokens);
    });

    it("code off under from:N steers from token N, outside blocks", async () => {
        const n = 4;
        const gated = await turn(`from:${n}`, "off");
        expect(gated.tokens).toEqual((await byHand((count, inCode) => count >= n && !inCode)).tokens);
    });

    it("from:N switching on inside a block: steered once the block ends, and the ledger counts from N", async () => {
        // the first N whose switch comes inside a block that opened before it (the unsteered head decides where it is)
        let n = 0;
        let reference;
        do {
            const from = ++n;
            reference = await byHand((count, c) => count >= from && !c);
        } while (!(reference.inCode[n - 1] && reference.inCode[n]) && n < 40);
        expect([reference.inCode[n - 1], reference.inCode[n]]).toEqual([true, true]);
        const gated = await turn(`from:${n}`, "off");
        expect(gated.tokens).toEqual(reference.tokens);
        // from the switch on, the reply's tokens are not as the schedule alone would have them (raw mode leaves the last undecoded)
        expect(gated.staleTokens).toBe(gated.tokens.length - n);
    });

    it("a gated reply with log-probabilities: the same tokens, one entry each", async () => {
        const {tokens} = await byHand((_, c) => !c);
        const settings = replyOnlySettings(controller, () => "all", () => "off");
        await sequence.clearHistory();
        const entries: Token[] = [];
        const gated = await generateTokens(sequence, tokenizePrompt(loaded.model, PROMPT), {...greedy,
            gate: {...settings.replyGate!()!, vectorOn: true}, logprobs: {top: 2, onLogprob: (e) => entries.push(e.token)}});
        expect(gated.tokens).toEqual(tokens);
        expect(entries).toEqual(tokens);
        expect(gated.gateSwitches).toBeGreaterThanOrEqual(2);
    });

    it("node-llama-cpp's loop (no native loop) makes the same switches", async () => {
        const native = await turn("all", "off");
        process.env.STEER_CHAT_NATIVE_LOOP = "0";
        try {
            expect((await turn("all", "off")).tokens).toEqual(native.tokens);
        } finally {
            delete process.env.STEER_CHAT_NATIVE_LOOP;
        }
    });

    it("a reply that ends inside a block leaves the steering on for what follows", async () => {
        const {tokens, inCode} = await byHand((_, c) => !c);
        const inside = inCode.indexOf(true) + 2; // two tokens into the first block
        const settings = replyOnlySettings(controller, () => "all", () => "off");
        await sequence.clearHistory();
        const cut = await generateTokens(sequence, tokenizePrompt(loaded.model, PROMPT),
            {...greedy, maxTokens: inside, gate: {...settings.replyGate!()!, vectorOn: true}});
        expect(cut.tokens).toEqual(tokens.slice(0, inside));
        expect(cut.gateSwitches).toBe(1);
        // the next turn (nothing staged) is steered from its first token
        expect((await turn("all", "on")).tokens).toEqual((await byHand(() => true)).tokens);
    });

    it("a reply stopped at a pause inside a block leaves the steering on for what follows", async () => {
        const settings = replyOnlySettings(controller, () => "all", () => "off");
        await sequence.clearHistory();
        // stopped at the first line end after the block opened: the loop is paused there with the vector off
        const stop = new AbortController();
        let opened = false;
        const cut = await generateTokens(sequence, tokenizePrompt(loaded.model, PROMPT), {...greedy, signal: stop.signal,
            gate: {...settings.replyGate!()!, vectorOn: true},
            onText: (chunk) => {
                if (opened && chunk.includes("\n")) stop.abort();
                if (chunk.includes("```")) opened = true;
            }});
        expect(cut.stopReason).toBe("aborted");
        expect(opened).toBe(true);
        // the next turn (nothing staged) is steered from its first token, not left unsteered by the stop
        expect((await turn("all", "on")).tokens).toEqual((await byHand(() => true)).tokens);
    });
});
