/**
 * Misuse over time on a generated model: 100 replies stopped at random moments with steering changes in between,
 * and a 300-turn soak changing the steering every turn. The session must stay consistent and memory flat.
 */
import v8 from "node:v8";
import vm from "node:vm";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {createConversation, type Conversation, type Reply} from "../../src/engine/conversation.js";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {seededRandom} from "../../tooling/syntheticLlama.js";
import {SteeringController} from "../../src/steering/steeringController.js";
import {steeringHooks} from "../../src/session/setupSteering.js";
import {vectorOf, writeSyntheticModel, writeVector} from "../helpers/steeringTestKit.js";

const rssMb = () => process.memoryUsage().rss / 2 ** 20;
v8.setFlagsFromString("--expose-gc");
/** a full collection, so what is measured is what is still held, not garbage waiting */
const gc = vm.runInNewContext("gc") as () => void;
const heldMb = () => {
    gc();
    return {rss: rssMb(), heap: process.memoryUsage().heapUsed / 2 ** 20};
};

describe("storm and soak", () => {
    let loaded: LoadedModel;
    let controller: SteeringController;
    let conversation: Conversation;
    beforeAll(async () => {
        loaded = await loadModel(writeSyntheticModel({nEmbd: 32, nLayer: 4, seed: 21, contextLength: 1024}),
            {gpu: false, contextSize: 1024});
        controller = SteeringController.create(loaded.context, loaded.model);
        for (const [i, name] of ["a", "b", "c"].entries())
            await controller.addVector(writeVector(vectorOf(32, [1, 2, 3], (l, k) => Math.cos(i + l * k)), `${name}.gguf`), 0.5);
        conversation = createConversation(loaded, {mode: "raw", sampling: {temperature: 0, maxTokens: 40}, ...steeringHooks(controller)});
    });
    afterAll(async () => {
        conversation?.dispose();
        await loaded?.dispose();
    });

    /** turns and the last reply's text, from either mode's snapshot (raw: {user, reply}[]; chat: chat history items) */
    function history(): {turns: number, lastReply: string | undefined} {
        const snapshot = conversation.snapshot() as unknown as ({user: string, reply: string} | {type: string, response?: unknown[]})[];
        if (conversation.mode === "raw") {
            const turns = snapshot as {reply: string}[];
            return {turns: turns.length, lastReply: turns.at(-1)?.reply};
        }
        const items = snapshot as {type: string, response?: unknown[]}[];
        const lastModel = items.at(-1)?.type === "model" ? items.at(-1)!.response!.filter((r) => typeof r === "string").join("") : undefined;
        return {turns: items.filter((item) => item.type === "user").length, lastReply: lastModel};
    }

    /**
     * What is applied is what was staged, the transcript holds every turn and ends with the last reply, and that
     * reply is what the same history gives when evaluated from scratch under the same steering (so nothing the
     * storm did is left in the cache). `last` must be a reply that ran to its end (greedy, not stopped).
     */
    async function expectConsistent(turnsSent: number, last: Reply) {
        expect(controller.hasPendingChanges).toBe(false);
        expect(history().turns).toBe(turnsSent);
        expect(history().lastReply).toBe(last.text);
        const user = conversation.rewind()!;
        await conversation.forgetEvaluation();
        const again = await conversation.send(user);
        expect(again.text).toBe(last.text);
        // close, not bit-equal: a turn whose steering did not change reused the cache, evaluated in other batch sizes
        expect(again.meanLogProb).toBeCloseTo(last.meanLogProb!, 5);
    }

    it("100 replies stopped at random moments, steering changed in between: consistent and flat", {timeout: 600_000}, async () => {
        const rand = seededRandom(5);
        await conversation.clear();
        let sent = 0;
        let warm = {rss: 0, heap: 0};
        let peakRss = 0;
        // 50 replies of warm-up (llama.cpp's buffers and the native allocator settle), then the 100 that count
        for (let i = 0; i < 150; i++) {
            if (i === 50) warm = heldMb();
            const controllerAbort = new AbortController();
            const stopAfter = Math.floor(rand() * 13) - 1;
            if (stopAfter < 0) controllerAbort.abort(); // stopped before the first token
            let chunks = 0;
            const reply = await conversation.send(`the cat ${i}`, {
                signal: controllerAbort.signal,
                onText: () => { if (++chunks > stopAfter) controllerAbort.abort(); }
            });
            sent++;
            expect(["aborted", "maxTokens", "eos", "contextFull"]).toContain(reply.stopReason);
            expect(history()).toEqual({turns: sent, lastReply: reply.text}); // every turn kept, stopped ones with what was written
            // a steering change is staged between replies; the next send applies it
            const name = ["a", "b", "c"][i % 3]!;
            controller.update((s) => s.setCoefficient(name, rand() * 4 - 2).setEnabled(name, rand() > 0.3));
            if (i % 10 === 9 && i < 149) {
                await conversation.clear();
                sent = 0;
            }
            if (i >= 50 && i % 10 === 0) peakRss = Math.max(peakRss, heldMb().rss);
        }
        const last = await conversation.send("the end");
        sent++;
        await expectConsistent(sent, last);
        const end = heldMb();
        peakRss = Math.max(peakRss, end.rss);
        console.log(`abort storm: after warm-up RSS ${warm.rss.toFixed(1)} MB / JS heap ${warm.heap.toFixed(1)} MB; ` +
            `over 100 stopped replies peak RSS ${peakRss.toFixed(1)} MB (+${((peakRss / warm.rss - 1) * 100).toFixed(1)} %), JS heap ${end.heap.toFixed(1)} MB`);
        expect(end.heap - warm.heap).toBeLessThan(2);
        // a gross-leak guard only (the figures themselves are the benchmark's job): runs here peak at +4 to +9 %,
        // from glibc keeping freed compute buffers; a per-reply leak of llama.cpp state would pass +25 % quickly
        expect(peakRss / warm.rss).toBeLessThan(1.25);
    });

    it("300 turns with a steering change every turn: consistent, JS heap flat, settled RSS growth small", {timeout: 600_000}, async () => {
        await conversation.clear();
        conversation.sampling.maxTokens = 6;
        const rand = seededRandom(8);
        let sent = 0;
        let peak = 0;
        const samples: number[] = [];
        let warmHeap = 0;
        for (let turn = 0; turn < 300; turn++) {
            if (turn === 30) warmHeap = heldMb().heap;
            const name = ["a", "b", "c"][turn % 3]!;
            controller.update((s) => s.setCoefficient(name, Math.round((rand() * 3 - 1.5) * 10) / 10));
            const reply = await conversation.send(`the dog ${turn % 7}`);
            sent++;
            expect(reply.tokenCount).toBeGreaterThan(0);
            expect(controller.appliedState.get(name).coefficient).toBe(controller.state.get(name).coefficient);
            // every turn re-evaluates the history under new steering: keep it short so the soak measures turns, not O(n²)
            if (turn % 10 === 9) {
                await expectConsistent(sent, reply);
                await conversation.clear();
                sent = 0;
            }
            samples.push(rssMb());
            if (turn >= 30) peak = Math.max(peak, rssMb());
        }
        const endHeap = heldMb().heap;
        // growth is the settled level at the end against the level after warm-up (medians of 30 turns each): a leak
        // raises it; glibc keeping freed compute buffers for a while makes single samples spike, so the peak is
        // reported, not asserted
        const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
        const warm = median(samples.slice(30, 60));
        const end = median(samples.slice(-30));
        const growth = (end - warm) / warm;
        console.log(`soak: RSS ${warm.toFixed(1)} MB after warm-up (turns 30-59), ${end.toFixed(1)} MB at the end (turns 270-299): `
            + `${growth >= 0 ? "+" : ""}${(growth * 100).toFixed(1)} %; peak ${peak.toFixed(1)} MB (+${((peak - warm) / warm * 100).toFixed(1)} %); `
            + `JS heap after GC ${warmHeap.toFixed(1)} → ${endHeap.toFixed(1)} MB`);
        expect(endHeap - warmHeap).toBeLessThan(2);
        // a gross-leak guard (runs here: −10 % to +9 %); the benchmark reports the figures
        expect(growth).toBeLessThan(0.25);
    });

    it("chat mode: 60 replies stopped at random moments (some before the first token), steering changed in between", {timeout: 600_000}, async () => {
        conversation.dispose(); // one sequence at a time on this context
        const chat = createConversation(loaded, {mode: "chat", sampling: {temperature: 0, maxTokens: 24}, ...steeringHooks(controller)});
        conversation = chat;
        const rand = seededRandom(13);
        const warmHeap = heldMb().heap;
        let sent = 0;
        for (let i = 0; i < 60; i++) {
            const abort = new AbortController();
            const stopAfter = Math.floor(rand() * 10) - 2;
            if (stopAfter < 0) abort.abort();
            let chunks = 0;
            const reply = await chat.send(`the cat ${i}`, {signal: abort.signal, onText: () => { if (++chunks > stopAfter) abort.abort(); }});
            expect(["aborted", "maxTokens", "eos", "contextFull"]).toContain(reply.stopReason);
            if (reply.stopReason === "aborted" && chunks === 0) expect(reply.text).toBe("");
            sent++;
            expect(history()).toEqual({turns: sent, lastReply: reply.text}); // aborted before the first token included
            const name = ["a", "b", "c"][i % 3]!;
            controller.update((s) => s.setCoefficient(name, rand() * 4 - 2));
            if (i % 10 === 9 && i < 59) {
                await chat.clear();
                sent = 0;
            }
        }
        const last = await chat.send("the end");
        await expectConsistent(sent + 1, last);
        expect(heldMb().heap - warmHeap).toBeLessThan(2);
    });
});
