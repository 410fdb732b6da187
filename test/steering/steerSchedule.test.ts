/**
 * Steering schedules (first:N, from:N) on the demo model, greedy: the switch happens inside the native generation
 * loop at an exact token boundary, so a scheduled reply is the reply made by hand in two generations (steered for N
 * tokens, then continued unsteered; or the reverse), and first:N past the reply's length is `all`.
 */
import type {LlamaContextSequence, Token} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {createConversation, type Conversation} from "../../src/engine/conversation.js";
import {generateTokens, tokenizePrompt} from "../../src/engine/generateTokens.js";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {SteeringController} from "../../src/steering/steeringController.js";
import {replyOnlySettings, type SteerPolicy} from "../../src/steering/steerPolicy.js";
import {storiesModel, tempDir} from "../helpers/steeringTestKit.js";

process.env.STEER_CHAT_DATA_DIR = tempDir("steer-data-");

const PROMPT = "Once upon a time, there was a little girl named";
const MAX = 32;
const greedy = {temperature: 0, topK: 40, topP: 0.95, minP: 0, maxTokens: MAX};

describe("steering schedules on the demo model", () => {
    let loaded: LoadedModel;
    let controller: SteeringController;
    let sequence: LlamaContextSequence;
    let conversation: Conversation;
    let policy: SteerPolicy = "all";

    beforeAll(async () => {
        loaded = await loadModel(storiesModel, {gpu: false, contextSize: 256, threads: 1});
        controller = SteeringController.create(loaded.context, loaded.model);
        const entry = await controller.loadEntry("sue", 1.5);
        controller.update((s) => s.add(entry));
        controller.applyStaged();
        // the conversation's sequence (the context has one), to generate by hand on it too
        const getSequence = loaded.context.getSequence.bind(loaded.context);
        loaded.context.getSequence = (...args) => (sequence = getSequence(...args));
        conversation = createConversation(loaded, {mode: "raw", sampling: greedy, history: "keep",
            beforeTurn: () => controller.applyStaged(), settingsKey: () => controller.appliedState.signature(),
            replySettings: replyOnlySettings(controller, () => policy)});
    });
    afterAll(async () => {
        conversation?.dispose();
        await loaded?.dispose();
    });

    /** one raw turn under `turnPolicy`, from an empty history (history keep, to see the ledger) */
    async function scheduled(turnPolicy: SteerPolicy) {
        policy = turnPolicy;
        await conversation.clear();
        const reply = await conversation.send(PROMPT);
        return {tokens: reply.tokens, staleTokens: conversation.contextUsage().staleTokens};
    }

    /** by hand: the prompt and `n` reply tokens under `before`, then the rest under `after` */
    async function byHand(n: number, before: "steered" | "plain", after: "steered" | "plain"): Promise<Token[]> {
        const put = (s: "steered" | "plain") => (s === "steered" ? controller.reapply() : controller.applyUnsteered());
        await sequence.clearHistory();
        try {
            put(before);
            const head = await generateTokens(sequence, tokenizePrompt(loaded.model, PROMPT), {...greedy, maxTokens: n});
            if (head.stopReason !== "maxTokens") return head.tokens;
            put(after);
            const tail = await generateTokens(sequence, [head.tokens.at(-1)!], {...greedy, maxTokens: MAX - n});
            return [...head.tokens, ...tail.tokens];
        } finally {
            controller.reapply();
        }
    }

    it("the demo vector changes the text (else the schedules below would prove nothing)", async () => {
        expect((await scheduled("all")).tokens).not.toEqual(await byHand(MAX, "plain", "plain"));
    });

    it("first:N is N steered tokens, then the rest unsteered, switched at that token", async () => {
        const all = (await scheduled("all")).tokens;
        const plain = await byHand(MAX, "plain", "plain");
        const differing = new Set<string>();
        for (const n of [1, 3, 6, 12]) {
            const {tokens, staleTokens} = await scheduled(`first:${n}`);
            expect(tokens, `first:${n}`).toEqual(await byHand(n, "steered", "plain"));
            expect(tokens.slice(0, n)).toEqual(all.slice(0, n));
            differing.add(tokens.join());
            // the ledger: the reply's tokens decoded after the switch were read unsteered (raw mode leaves the last undecoded)
            expect(staleTokens).toBe(tokens.length - n);
        }
        // the switch changed the text: not every schedule made the steered or the plain reply
        expect([...differing].some((t) => t !== all.join() && t !== plain.join())).toBe(true);
    });

    it("first:N with N at least the reply's length is all", async () => {
        const all = await scheduled("all");
        expect(all.tokens.length).toBeLessThanOrEqual(MAX);
        for (const n of [all.tokens.length, MAX, 1000]) {
            const s = await scheduled(`first:${n}`);
            expect(s.tokens).toEqual(all.tokens);
            expect(s.staleTokens).toBe(0);
        }
    });

    it("from:N reads the prompt and N reply tokens unsteered, then steers", async () => {
        for (const n of [2, 8]) {
            const {tokens} = await scheduled(`from:${n}`);
            expect(tokens, `from:${n}`).toEqual(await byHand(n, "plain", "steered"));
        }
    });

    it("node-llama-cpp's loop (no native loop) makes the same switch", async () => {
        const native = await scheduled("first:5");
        process.env.STEER_CHAT_NATIVE_LOOP = "0";
        try {
            expect((await scheduled("first:5")).tokens).toEqual(native.tokens);
        } finally {
            delete process.env.STEER_CHAT_NATIVE_LOOP;
        }
    });
});
