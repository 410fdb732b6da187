/**
 * The llama.cpp phase of `npm run bench`: steer-chat's generation against llama.cpp's own `llama-completion` (built
 * from the source node-llama-cpp bundles, scripts/build-llama-tools.sh), on the demo model and two generated llamas,
 * at 1 thread and at each tool's default, runs interleaved (ABBA), tokens/s of the decode phase as each tool reports
 * it: steer-chat's reply meter (first generated token to last) and llama-completion's `eval time`. Also the demo's
 * first chat reply as a new user meets it: default sampling, up to 1,024 tokens, from a fresh conversation.
 */
import {execFile} from "node:child_process";
import {existsSync, mkdtempSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {promisify} from "node:util";
import {createConversation} from "../src/engine/conversation.js";
import {loadModel} from "../src/engine/runtime.js";
import {DEFAULT_SAMPLING} from "../src/engine/sampling.js";
import {demoModelPath} from "../src/config/paths.js";
import {buildSyntheticLlama} from "../tooling/syntheticLlama.js";

const run = promisify(execFile);
const PROMPT = "Once upon a time";
export const LLAMA_COMPLETION = path.join(import.meta.dirname, "..", ".cache", "llama-tools", "bin", "llama-completion");

export type VsLlamaCppRow = {
    model: string, threads: "1" | "default", tokens: number, rounds: number,
    steer_chat_tokens_per_s: number, llama_completion_tokens_per_s: number,
    ratio: number, ratio_quartiles: [number, number], goal: number
};

export type DemoFirstReply = {seconds: number[], tokens: number[], median_seconds: number};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
function quartiles(xs: number[]): [number, number] {
    const sorted = [...xs].sort((a, b) => a - b);
    return [sorted[Math.floor((sorted.length - 1) * 0.25)]!, sorted[Math.ceil((sorted.length - 1) * 0.75)]!];
}

function syntheticModel(nEmbd: number, nLayer: number): string {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "steer-bench-")), `synthetic-${nEmbd}x${nLayer}.gguf`);
    writeFileSync(file, buildSyntheticLlama({nEmbd, nLayer, nHead: Math.max(1, nEmbd / 64), nFf: Math.round(nEmbd * 2.75),
        contextLength: 4096}));
    return file;
}

/**
 * llama-completion's own decode-phase rate: `eval time = X ms / N runs` (the prompt is timed apart). Its log is
 * written by a thread of its own that is not flushed at exit (common/log.cpp says so), and on a busy machine most runs
 * lose their last lines: run it again then, up to 30 times.
 */
async function llamaCompletionRate(model: string, tokens: number, threads: number | undefined): Promise<number> {
    const args = ["-m", model, "-p", PROMPT, "-n", String(tokens), "--temp", "0", "-no-cnv", "--ignore-eos", "--no-warmup",
        "-c", "1024", ...(threads == null ? [] : ["-t", String(threads)])];
    let stderr = "";
    for (let attempt = 0; attempt < 30; attempt++) {
        stderr = (await run(LLAMA_COMPLETION, args, {maxBuffer: 64 * 2 ** 20})).stderr;
        const found = /^.*\beval time =\s*([\d.]+) ms \/\s*(\d+) runs/m.exec(stderr.split("\n").filter((l) => !l.includes("prompt eval")).join("\n"));
        if (found != null) return Number(found[2]) / (Number(found[1]) / 1000);
    }
    throw new Error(`llama-completion printed no eval time in 30 runs:\n${stderr.slice(-2000)}`);
}

/**
 * Rows of steer-chat / llama-completion tokens/s. Goals (issue 24): ≥ 0.5 on stories260K (its tokens cost 0.2 ms in
 * llama.cpp, so any fixed cost per token shows), ≥ 0.95 on the generated models at the default thread count.
 */
export async function vsLlamaCpp(rounds: number, log: (line: string) => void): Promise<VsLlamaCppRow[]> {
    if (!existsSync(LLAMA_COMPLETION))
        throw new Error(`${LLAMA_COMPLETION} is missing: build llama.cpp's tools first with scripts/build-llama-tools.sh`);
    const models = [
        {name: "stories260K", file: demoModelPath(), tokens: 512, goal: 0.5},
        {name: "generated 768 × 12", file: syntheticModel(768, 12), tokens: 96, goal: 0.95},
        {name: "generated 1536 × 16", file: syntheticModel(1536, 16), tokens: 48, goal: 0.95}
    ];
    const rows: VsLlamaCppRow[] = [];
    for (const m of models) {
        for (const threads of [1, undefined] as const) {
            log(`llama.cpp phase: ${m.name}, ${threads ?? "default"} thread(s), ${m.tokens} tokens × ${rounds} rounds`);
            const loaded = await loadModel(m.file, {gpu: false, contextSize: 1024, ...(threads == null ? {} : {threads})});
            const conversation = createConversation(loaded, {mode: "raw", sampling: {temperature: 0, maxTokens: m.tokens}});
            const ours = async () => {
                await conversation.clear();
                return (await conversation.send(PROMPT)).tokensPerSecond;
            };
            const theirs = () => llamaCompletionRate(m.file, m.tokens, threads);
            await ours();
            await theirs(); // warm-up: page cache, the first graph
            const a: number[] = [];
            const b: number[] = [];
            for (let r = 0; r < rounds; r++) {
                for (const first of r % 2 === 0 ? [true, false] : [false, true]) {
                    if (first) a.push(await ours());
                    else b.push(await theirs());
                }
            }
            conversation.dispose();
            await loaded.dispose();
            const ratios = a.map((x, i) => x / b[i]!);
            rows.push({model: m.name, threads: threads == null ? "default" : "1", tokens: m.tokens, rounds,
                steer_chat_tokens_per_s: median(a), llama_completion_tokens_per_s: median(b),
                ratio: median(ratios), ratio_quartiles: quartiles(ratios), goal: m.goal});
        }
    }
    return rows;
}

/** The demo's first chat reply, as `steer-chat --model demo` gives it: default threads and sampling, a fresh chat. */
export async function demoFirstReply(rounds: number): Promise<DemoFirstReply> {
    const loaded = await loadModel(demoModelPath(), {gpu: false});
    const seconds: number[] = [];
    const tokens: number[] = [];
    try {
        for (let r = 0; r <= rounds; r++) {
            const conversation = createConversation(loaded, {mode: "raw", sampling: {...DEFAULT_SAMPLING, seed: r}});
            const started = performance.now();
            const reply = await conversation.send(PROMPT);
            if (r > 0) { // the first is a warm-up
                seconds.push((performance.now() - started) / 1000);
                tokens.push(reply.tokenCount);
            }
            conversation.dispose();
        }
    } finally {
        await loaded.dispose();
    }
    return {seconds, tokens, median_seconds: median(seconds)};
}

export function printVsLlamaCpp(rows: VsLlamaCppRow[], demo: DemoFirstReply | undefined, write: (s: string) => void) {
    write("\nsteer-chat vs llama-completion (same model, greedy, decode-phase tok/s, interleaved), medians [quartiles of the per-round ratios]\n\n");
    write(`${"model".padEnd(22)}${"threads".padEnd(9)}${"steer-chat".padStart(11)}${"llama.cpp".padStart(11)}  ratio\n`);
    for (const r of rows) {
        write(`${r.model.padEnd(22)}${r.threads.padEnd(9)}${r.steer_chat_tokens_per_s.toFixed(1).padStart(11)}${r.llama_completion_tokens_per_s.toFixed(1).padStart(11)}` +
            `  ${r.ratio.toFixed(2)} [${r.ratio_quartiles[0].toFixed(2)}–${r.ratio_quartiles[1].toFixed(2)}]${r.threads === "default" || r.goal === 0.5 ? ` (goal ≥ ${r.goal})` : ""}\n`);
    }
    if (demo != null)
        write(`\ndemo's first chat reply (default sampling, up to 1,024 tokens): median ${demo.median_seconds.toFixed(2)} s ` +
            `over ${demo.seconds.length} fresh chats (${Math.min(...demo.tokens)}–${Math.max(...demo.tokens)} tokens) (goal < 1 s)\n`);
}
