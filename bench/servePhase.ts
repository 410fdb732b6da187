/**
 * The serve phase: `steer-chat serve` in this process on 127.0.0.1, greedy completions of `tokens` tokens over HTTP.
 * Per round, three runs of 8 requests in a rotating order: one client alone (8 requests one after another), 4
 * concurrent clients with one steering (2 requests each), 4 concurrent clients with four different steerings. The
 * context has serve's sequences: requests with one steering are decoded together in one batch per step; four
 * steerings cannot share a decode, so they run one batch (of one) after another, with a switch (re-mix, apply, graph
 * re-reserve) between them.
 */
import {copyFileSync, mkdirSync, mkdtempSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {loadModel} from "../src/engine/runtime.js";
import {openServer, serverSequences} from "../src/server/openServer.js";

export type ServeResults = {
    tokens: number,
    requests_per_run: number,
    alone_requests_per_s: number,
    alone_tokens_per_s: number,
    four_same_requests_per_s: number,
    four_same_tokens_per_s: number,
    four_different_requests_per_s: number,
    four_different_tokens_per_s: number,
    /** tokens/s ratios, medians of the per-round ratios, with their quartiles */
    four_same_over_alone: number,
    four_same_over_alone_quartiles: number[],
    four_different_over_alone: number,
    four_different_over_alone_quartiles: number[],
    four_different_over_four_same: number,
    four_different_over_four_same_quartiles: number[]
};

const REQUESTS = 8;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ratios = (xs: number[], ys: number[]) => xs.map((x, i) => x / ys[i]!);
const quartiles = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return [sorted[Math.floor((sorted.length - 1) * 0.25)]!, sorted[Math.ceil((sorted.length - 1) * 0.75)]!];
};

type Run = {seconds: number, tokens: number};

/**
 * `vectorFiles`: four control vectors that fit the model; they are served by name from a vectors folder of their own
 * (STEER_CHAT_CONFIG_DIR, set for the phase), as a request may only name vectors.
 */
export async function serveBench(modelFile: string, vectorFiles: readonly string[], {rounds, tokens, prompt, log}:
    {rounds: number, tokens: number, prompt: string, log: (line: string) => void}): Promise<ServeResults> {
    const config = mkdtempSync(path.join(os.tmpdir(), "steer-bench-serve-"));
    mkdirSync(path.join(config, "vectors"));
    const names = vectorFiles.map((file, i) => {
        copyFileSync(file, path.join(config, "vectors", `bench${i}.gguf`));
        return `bench${i}`;
    });
    const before = process.env.STEER_CHAT_CONFIG_DIR;
    process.env.STEER_CHAT_CONFIG_DIR = config;
    const loaded = await loadModel(modelFile, {gpu: false, contextSize: 1024, sequences: serverSequences()});
    const server = await openServer(loaded, {vectors: [], maxTokens: tokens, queue: 64});
    try {
        const url = await server.app.listen({host: "127.0.0.1", port: 0});
        const request = async (vector: string): Promise<number> => {
            const response = await fetch(`${url}/v1/completions`, {method: "POST", headers: {"Content-Type": "application/json"},
                body: JSON.stringify({model: server.model.modelId, prompt, max_tokens: tokens, temperature: 0,
                    steering: {vectors: [{name: vector, coefficient: 0.5}]}})});
            const body = await response.json() as {usage?: {completion_tokens: number}, error?: {message: string}};
            if (body.usage == null) throw new Error(`serve bench: ${body.error?.message}`);
            return body.usage.completion_tokens;
        };
        const timed = async (work: () => Promise<number[]>): Promise<Run> => {
            const started = performance.now();
            const counts = await work();
            return {seconds: (performance.now() - started) / 1000, tokens: counts.reduce((a, b) => a + b, 0)};
        };
        const runs = {
            alone: () => timed(async () => {
                const counts: number[] = [];
                for (let i = 0; i < REQUESTS; i++) counts.push(await request(names[0]!));
                return counts;
            }),
            fourSame: () => timed(() => clients(() => request(names[0]!))),
            fourDifferent: () => timed(() => clients((client) => request(names[client % names.length]!)))
        };
        await runs.alone(); // warm-up: the first decode, the vectors read
        const results = {alone: [] as Run[], fourSame: [] as Run[], fourDifferent: [] as Run[]};
        const order = ["alone", "fourSame", "fourDifferent"] as const;
        for (let round = 0; round < rounds; round++) {
            for (let i = 0; i < order.length; i++) {
                const which = order[(round + i) % order.length]!;
                results[which].push(await runs[which]());
            }
            log(`serve round ${round + 1}/${rounds}`);
        }
        const perS = (runs: Run[], of: (r: Run) => number) => runs.map((r) => of(r) / r.seconds);
        const tokensPerS = (which: keyof typeof results) => perS(results[which], (r) => r.tokens);
        const requestsPerS = (which: keyof typeof results) => perS(results[which], () => REQUESTS);
        const ratio = (a: keyof typeof results, b: keyof typeof results) => ratios(tokensPerS(a), tokensPerS(b));
        return {
            tokens, requests_per_run: REQUESTS,
            alone_requests_per_s: median(requestsPerS("alone")), alone_tokens_per_s: median(tokensPerS("alone")),
            four_same_requests_per_s: median(requestsPerS("fourSame")), four_same_tokens_per_s: median(tokensPerS("fourSame")),
            four_different_requests_per_s: median(requestsPerS("fourDifferent")), four_different_tokens_per_s: median(tokensPerS("fourDifferent")),
            four_same_over_alone: median(ratio("fourSame", "alone")), four_same_over_alone_quartiles: quartiles(ratio("fourSame", "alone")),
            four_different_over_alone: median(ratio("fourDifferent", "alone")),
            four_different_over_alone_quartiles: quartiles(ratio("fourDifferent", "alone")),
            four_different_over_four_same: median(ratio("fourDifferent", "fourSame")),
            four_different_over_four_same_quartiles: quartiles(ratio("fourDifferent", "fourSame"))
        };
    } finally {
        await server.close();
        await loaded.dispose();
        if (before == null) delete process.env.STEER_CHAT_CONFIG_DIR;
        else process.env.STEER_CHAT_CONFIG_DIR = before;
    }
}

/** 4 clients at once, REQUESTS / 4 requests each, one after another */
async function clients(request: (client: number) => Promise<number>): Promise<number[]> {
    const counts = await Promise.all(Array.from({length: 4}, async (_, client) => {
        const mine: number[] = [];
        for (let i = 0; i < REQUESTS / 4; i++) mine.push(await request(client));
        return mine;
    }));
    return counts.flat();
}

export function printServe(serve: ServeResults, write: (line: string) => void) {
    const spread = ([low, high]: number[]) => `${low!.toFixed(2)}–${high!.toFixed(2)}`;
    const row = (k: string, v: string, note = "") => write(`${k.padEnd(26)} ${v.padStart(12)}  ${note}\n`);
    row("serve, 1 client", `${serve.alone_tokens_per_s.toFixed(1)} tok/s`, `${serve.alone_requests_per_s.toFixed(1)} requests/s of ${serve.tokens} tokens`);
    row("serve, 4 clients, 1 steer", `${serve.four_same_tokens_per_s.toFixed(1)} tok/s`,
        `${serve.four_same_requests_per_s.toFixed(1)} requests/s; over 1 client ${serve.four_same_over_alone.toFixed(2)} [${spread(serve.four_same_over_alone_quartiles)}]`);
    row("serve, 4 clients, 4 steer", `${serve.four_different_tokens_per_s.toFixed(1)} tok/s`,
        `${serve.four_different_requests_per_s.toFixed(1)} requests/s; over 1 client ${serve.four_different_over_alone.toFixed(2)} `
        + `[${spread(serve.four_different_over_alone_quartiles)}], over 1 steering ${serve.four_different_over_four_same.toFixed(2)} `
        + `[${spread(serve.four_different_over_four_same_quartiles)}]`);
}
