/**
 * Every context steer-chat computes on has a persistent thread pool: generating tokens, and capturing hidden states,
 * starts no threads. Counted, not timed: a worker thread lists /proc/self/task over and over while the work runs
 * and reports every thread id it saw; a thread id that was not there before is a thread started by the work. A
 * context without a pool (node-llama-cpp's own, at 2 threads) shows what the count looks like when ggml starts its
 * threads at every decode, so the check can fail.
 */
import {readdirSync} from "node:fs";
import {Worker} from "node:worker_threads";
import type {LlamaContext} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {createConversation} from "../../src/engine/conversation.js";
import {tokenizePrompt} from "../../src/engine/generateTokens.js";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {loadNativeSteering} from "../../src/native/steeringBridge.js";
import {storiesModelPath} from "../helpers/tinyModel.js";

const WATCHER = `
const {readdirSync} = require("node:fs");
const {parentPort, workerData} = require("node:worker_threads");
const stop = new Int32Array(workerData);
const seen = new Set(readdirSync("/proc/self/task"));
parentPort.postMessage({ready: true});
while (Atomics.load(stop, 0) === 0) for (const id of readdirSync("/proc/self/task")) seen.add(id);
parentPort.postMessage({seen: [...seen]});
`;

/** the ids of the threads that were started (and maybe ended again) while `work` ran */
async function threadsStartedDuring(work: () => Promise<unknown>): Promise<string[]> {
    const stop = new SharedArrayBuffer(4);
    const watcher = new Worker(WATCHER, {eval: true, workerData: stop});
    const messages: {ready?: boolean, seen?: string[]}[] = [];
    let wake: () => void = () => {};
    watcher.on("message", (m: {ready?: boolean, seen?: string[]}) => { messages.push(m); wake(); });
    const next = () => new Promise<void>((resolve) => { wake = resolve; if (messages.length > 0) resolve(); });
    await next();
    messages.length = 0;
    const before = new Set(readdirSync("/proc/self/task"));
    try {
        await work();
    } finally {
        Atomics.store(new Int32Array(stop), 0, 1);
    }
    await next();
    await watcher.terminate();
    return messages[0]!.seen!.filter((id) => !before.has(id));
}

describe("a persistent thread pool on every context (stories260K, 2 threads)", {timeout: 120_000}, () => {
    let loaded: LoadedModel;
    beforeAll(async () => {
        loaded = await loadModel(storiesModelPath, {gpu: false, threads: 2});
    });
    afterAll(async () => loaded?.dispose());

    async function generate50() {
        const conversation = createConversation(loaded, {mode: "raw", sampling: {temperature: 0, maxTokens: 50}});
        try {
            return await conversation.send("Once upon a time");
        } finally {
            conversation.dispose();
        }
    }

    it("generating 50 tokens starts no thread but the generation loop's own", async () => {
        await generate50(); // warm-up: node's own worker threads start on first use
        let tokens = 0;
        const started = await threadsStartedDuring(async () => { tokens = (await generate50()).tokenCount; });
        expect(tokens).toBe(50);
        expect(started.length).toBeLessThanOrEqual(1);
    });

    it("capturing hidden states starts no thread", async () => {
        const status = loadNativeSteering();
        expect(status.available).toBe(true);
        if (!status.available) return;
        const tokens = tokenizePrompt(loaded.model, "Once upon a time there was a little girl named Lily. She liked to play.");
        const capture = status.native.createCapture(loaded.context, 64, 2);
        try {
            await capture.capture(tokens); // warm-up
            const started = await threadsStartedDuring(async () => {
                for (let i = 0; i < 5; i++) await capture.capture(tokens);
            });
            expect(started).toEqual([]);
        } finally {
            capture.free();
        }
    });

    it("without a pool (node-llama-cpp's own context) the same watcher sees ggml start threads at every decode", async () => {
        const bare: LlamaContext = await loaded.model.createContext({contextSize: 256, threads: 2});
        try {
            const sequence = bare.getSequence();
            const input = tokenizePrompt(loaded.model, "Once upon a time");
            for await (const token of sequence.evaluate(input, {temperature: 0})) { void token; break; } // warm-up
            await sequence.clearHistory();
            let count = 0;
            const started = await threadsStartedDuring(async () => {
                for await (const token of sequence.evaluate(input, {temperature: 0})) { void token; if (++count >= 50) break; }
            });
            expect(count).toBe(50);
            expect(started.length).toBeGreaterThanOrEqual(10);
        } finally {
            await bare.dispose();
        }
    });
});
