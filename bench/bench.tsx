/**
 * steer-chat benchmarks: what steering costs, measured side by side in one run (machines here are noisy, so every
 * figure that matters is a ratio of interleaved runs).
 * `npm run bench -- [--model M | --synthetic EMBDxLAYERS] [--json] [--long-history-only] [--strength-only]
 *   [--serve-only] [--llama-cpp-only | --no-llama-cpp]`
 */
import {mkdtempSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {performance as perfHooks} from "node:perf_hooks";
import {parseArgs} from "node:util";
import React from "react";
import {render} from "ink-testing-library";
import type {LlamaContextSequence} from "node-llama-cpp";
import {createConversation, type Conversation, type HistoryPolicy, type Reply} from "../src/engine/conversation.js";
import {loadModel, type LoadedModel} from "../src/engine/runtime.js";
import {tokenizePrompt} from "../src/engine/generateTokens.js";
import {buildSyntheticLlama} from "../tooling/syntheticLlama.js";
import {demoModelPath} from "../src/config/paths.js";
import {mixControlVectors, scaleAddJs} from "../src/steering/mixControlVectors.js";
import type {ScaleAddKernel} from "../src/native/loader.js";
import {loadNativeSteering} from "../src/native/steeringBridge.js";
import {SteeringController} from "../src/steering/steeringController.js";
import {ReplyReader} from "../src/steering/replyReadout.js";
import {saveControlVector} from "../src/steering/loadControlVector.js";
import {renderRecipe, loadRecipe} from "../src/training/recipes.js";
import {trainControlVector} from "../src/training/trainControlVector.js";
import {App} from "../src/ui/App.js";
import {ChatSession} from "../src/session/chatSession.js";
import {steeringHooks} from "../src/session/setupSteering.js";
import {measureCalibration} from "../src/steering/calibration.js";
import {CoherenceMeter} from "../src/steering/coherenceMeter.js";
import {replyOnlySettings, type SteerPolicy} from "../src/steering/steerPolicy.js";
import {demoFirstReply, printVsLlamaCpp, vsLlamaCpp} from "./llamaCppPhase.js";
import {printServe, serveBench} from "./servePhase.js";

const {values} = parseArgs({options: {
    model: {type: "string"}, synthetic: {type: "string"}, json: {type: "boolean"}, tokens: {type: "string"}, rounds: {type: "string"},
    "long-history-only": {type: "boolean"}, "strength-only": {type: "boolean"}, "serve-only": {type: "boolean"},
    "llama-cpp-only": {type: "boolean"}, "no-llama-cpp": {type: "boolean"}
}});
const GENERATE = Number(values.tokens ?? 96);
const ROUNDS = Number(values.rounds ?? 9);
const log = (line: string) => { if (!values.json) process.stderr.write(line + "\n"); };

function modelPath(): string {
    if (values.model) return values.model;
    if (values.synthetic) {
        const [nEmbd, nLayer] = values.synthetic.split("x").map(Number);
        const file = path.join(mkdtempSync(path.join(os.tmpdir(), "steer-bench-")), `synthetic-${values.synthetic}.gguf`);
        writeFileSync(file, buildSyntheticLlama({nEmbd, nLayer, nHead: Math.max(1, nEmbd! / 64), nFf: Math.round(nEmbd! * 2.75),
            contextLength: 4096}));
        return file;
    }
    return demoModelPath();
}

/** Samples RSS every 5 ms while `work` runs; returns its result, seconds and the peak RSS in MB. */
async function phase<T>(work: () => Promise<T>): Promise<{result: T, seconds: number, peakRssMb: number}> {
    let peak = process.memoryUsage().rss;
    const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
    const started = performance.now();
    try {
        const result = await work();
        peak = Math.max(peak, process.memoryUsage().rss);
        return {result, seconds: (performance.now() - started) / 1000, peakRssMb: peak / 2 ** 20};
    } finally {
        clearInterval(timer);
    }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** the median of per-round ratios: each pair ran back to back, so slow spells of the machine cancel out */
const ratios = (xs: number[], ys: number[]) => xs.map((x, i) => x / ys[i]!);
const medianRatio = (xs: number[], ys: number[]) => median(ratios(xs, ys));
/** the 25th and 75th percentiles of the per-round ratios: how much to trust the median on a noisy machine */
const quartiles = (xs: number[], ys: number[]) => {
    const sorted = ratios(xs, ys).sort((a, b) => a - b);
    return [sorted[Math.floor((sorted.length - 1) * 0.25)]!, sorted[Math.ceil((sorted.length - 1) * 0.75)]!];
};

/** runs that stopped before GENERATE tokens (an EOS): their tokens/s is not comparable, so the count is reported */
let shortRuns = 0;

/** Greedy generation of GENERATE tokens from an empty cache (a prompt that runs long, so EOS should not come). */
async function generate(conversation: Conversation, prompt: string): Promise<Reply> {
    await conversation.clear();
    const reply = await conversation.send(prompt);
    if (reply.tokenCount < conversation.sampling.maxTokens) shortRuns++;
    return reply;
}

/** turns and rounds of the long-history phase: each round costs two prefills of the history */
const LONG_HISTORY_TOKENS = 2000;
const LONG_HISTORY_ROUNDS = 3;
const LONG_HISTORY_REPLY = 16;

/**
 * The turn after a steering change on a long history (issue 18), raw mode with 16-token replies, per round:
 * one prefill of the history from an empty cache (P), a turn, an unchanged turn (A), a coefficient nudge and the
 * turn after it under reeval (B), the next unchanged turn (C), then a nudge under keep (K). Ratios per round, then medians:
 * B/P (goal <= 1.1), C/A (goal <= 1.2), K/A. Tokens evaluated (node-llama-cpp's meter) show what each turn did.
 */
async function longHistory(loaded: LoadedModel, vector: string, text: string) {
    const context = await loaded.model.createContext({contextSize: 4096, threads: loaded.llama.cpuMathCores});
    const controller = SteeringController.create(context, loaded.model);
    await controller.addVector(vector, 0.05);
    // the conversation's sequence, for node-llama-cpp's count of the tokens it evaluates
    let sequence!: LlamaContextSequence;
    const getSequence = context.getSequence.bind(context);
    context.getSequence = (options) => (sequence = getSequence(options));
    const conversation = createConversation({...loaded, context}, {mode: "raw", history: "reeval",
        sampling: {temperature: 0, maxTokens: LONG_HISTORY_REPLY}, ...steeringHooks(controller)});
    const evaluated = () => sequence.tokenMeter.usedInputTokens + sequence.tokenMeter.usedOutputTokens;
    let long = "";
    while (tokenizePrompt(loaded.model, long).length < LONG_HISTORY_TOKENS) long += text + " ";
    await conversation.send(long);

    const kinds = ["prefill", "unchanged", "afterChange", "nextUnchanged", "afterChangeKeep"] as const;
    const seconds = Object.fromEntries(kinds.map((k) => [k, [] as number[]])) as Record<typeof kinds[number], number[]>;
    const tokens = Object.fromEntries(kinds.map((k) => [k, [] as number[]])) as Record<typeof kinds[number], number[]>;
    const measure = async (kind: typeof kinds[number], work: () => Promise<unknown>) => {
        const before = evaluated();
        const started = performance.now();
        await work();
        seconds[kind].push((performance.now() - started) / 1000);
        tokens[kind].push(evaluated() - before);
    };
    const turn = (policy: HistoryPolicy, prompt: string) => async () => {
        conversation.historyPolicy = policy;
        const reply = await conversation.send(prompt);
        if (reply.tokenCount < LONG_HISTORY_REPLY) shortRuns++;
    };
    let coefficient = 0.05;
    const nudge = () => controller.update((s) => s.setCoefficient(s.entries[0]!.name, (coefficient += 0.01)));
    const histories: number[] = [];
    for (let r = 0; r < LONG_HISTORY_ROUNDS; r++) {
        histories.push(conversation.contextUsage().used);
        log(`  round ${r + 1}/${LONG_HISTORY_ROUNDS}: history ${histories.at(-1)} tokens`);
        await conversation.forgetEvaluation();
        await measure("prefill", () => conversation.reevaluate());
        // A follows a reply, as C does: a turn re-tokenizes the reply before it, which may differ from the sampled tokens
        await turn("reeval", `The girl ${r}.`)();
        await measure("unchanged", turn("reeval", `The dog ${r}.`));
        nudge();
        await measure("afterChange", turn("reeval", `The cat ${r}.`));
        await measure("nextUnchanged", turn("reeval", `The bird ${r}.`));
        nudge();
        await measure("afterChangeKeep", turn("keep", `The sun ${r}.`));
    }
    conversation.dispose();
    await context.dispose();
    return {
        history_tokens: histories, rounds: LONG_HISTORY_ROUNDS, reply_tokens: LONG_HISTORY_REPLY,
        seconds: Object.fromEntries(kinds.map((k) => [k, median(seconds[k])])),
        evaluated_tokens: tokens,
        after_change_over_prefill: medianRatio(seconds.afterChange, seconds.prefill),
        after_change_over_prefill_quartiles: quartiles(seconds.afterChange, seconds.prefill),
        next_unchanged_over_unchanged: medianRatio(seconds.nextUnchanged, seconds.unchanged),
        next_unchanged_over_unchanged_quartiles: quartiles(seconds.nextUnchanged, seconds.unchanged),
        after_change_keep_over_unchanged: medianRatio(seconds.afterChangeKeep, seconds.unchanged),
        // the same ratios in evaluated tokens: what the machine's load cannot blur
        after_change_over_prefill_tokens: medianRatio(tokens.afterChange, tokens.prefill),
        next_unchanged_over_unchanged_tokens: medianRatio(tokens.nextUnchanged, tokens.unchanged)
    };
}

type LongHistoryResults = Awaited<ReturnType<typeof longHistory>>;

function printLongHistory(lh: LongHistoryResults) {
    const spread = ([low, high]: number[]) => `${low!.toFixed(2)}–${high!.toFixed(2)}`;
    const row = (k: string, v: string, goal = "") => process.stdout.write(`${k.padEnd(26)} ${v.padStart(12)}  ${goal}\n`);
    const s = lh.seconds as Record<string, number>;
    const t = (k: keyof LongHistoryResults["evaluated_tokens"]) => lh.evaluated_tokens[k].join("/");
    row("long history", `${lh.history_tokens.join("/")} tok`, `${lh.rounds} rounds, ${lh.reply_tokens}-token replies, raw mode; per round:`);
    row("  prefill of the history", `${s.prefill!.toFixed(2)} s`, `evaluated ${t("prefill")} tokens`);
    row("  unchanged turn", `${s.unchanged!.toFixed(2)} s`, `evaluated ${t("unchanged")}`);
    row("  after a change (reeval)", `${s.afterChange!.toFixed(2)} s`,
        `evaluated ${t("afterChange")}; / prefill ${lh.after_change_over_prefill.toFixed(2)} [${spread(lh.after_change_over_prefill_quartiles)}] (goal <= 1.1), in tokens ${lh.after_change_over_prefill_tokens.toFixed(3)}`);
    row("  next unchanged turn", `${s.nextUnchanged!.toFixed(2)} s`,
        `evaluated ${t("nextUnchanged")}; / unchanged ${lh.next_unchanged_over_unchanged.toFixed(2)} [${spread(lh.next_unchanged_over_unchanged_quartiles)}] (goal <= 1.2), in tokens ${lh.next_unchanged_over_unchanged_tokens.toFixed(3)}`);
    row("  after a change (keep)", `${s.afterChangeKeep!.toFixed(2)} s`,
        `evaluated ${t("afterChangeKeep")}; / unchanged ${lh.after_change_keep_over_unchanged.toFixed(2)}`);
}

type StrengthResults = {
    gauge_seconds: number, gauge_reply_seconds: number, gauge_over_reply: number, gauge_over_reply_quartiles: number[],
    calibration_seconds: number, calibration_over_reply: number,
    reply_only_seconds: number, all_seconds: number, reply_only_over_all: number, reply_only_over_all_quartiles: number[]
};

/**
 * Calibrated strength: the coherence gauge (two evaluations of the reply on the capture context) next to the
 * reply's own generation, one calibration, and the reply-only policy's extra switch (the prompt in two decodes and
 * two control-vector sets a turn) as the ratio of whole replies under reply and all, interleaved ABBA.
 */
async function strengthBench(loaded: LoadedModel, controller: SteeringController, conversation: Conversation,
    setPolicy: (p: SteerPolicy) => void,
    prompt: string): Promise<StrengthResults> {
    const meter = new CoherenceMeter(loaded);
    const gaugeSeconds: number[] = [];
    const replySeconds: number[] = [];
    const measure = async () => {
        const started = performance.now();
        const reply = await generate(conversation, prompt);
        replySeconds.push((performance.now() - started) / 1000);
        const gauge = await meter.measure({context: reply.context!, reply: reply.tokens, steering: controller.appliedVector});
        gaugeSeconds.push(gauge.seconds);
    };
    await measure(); // warm-up: the capture context
    gaugeSeconds.length = replySeconds.length = 0;
    for (let r = 0; r < ROUNDS; r++) await measure();
    await meter.free();

    const calibrationSeconds: number[] = [];
    for (let r = 0; r < Math.max(3, Math.min(ROUNDS, 5)); r++) {
        const started = performance.now();
        await measureCalibration(loaded, {modelHash: "0".repeat(64)});
        calibrationSeconds.push((performance.now() - started) / 1000);
    }

    const all: number[] = [];
    const replyOnly: number[] = [];
    const timed = async (policy: SteerPolicy) => {
        setPolicy(policy);
        const started = performance.now();
        await generate(conversation, prompt);
        return (performance.now() - started) / 1000;
    };
    await timed("reply"); // warm-up
    for (let r = 0; r < ROUNDS; r++)
        for (const policy of (r % 2 === 0 ? ["all", "reply"] : ["reply", "all"]) as SteerPolicy[]) (policy === "reply" ? replyOnly : all).push(await timed(policy));
    setPolicy("all");
    return {
        gauge_seconds: median(gaugeSeconds), gauge_reply_seconds: median(replySeconds), gauge_over_reply: medianRatio(gaugeSeconds,
            replySeconds),
        gauge_over_reply_quartiles: quartiles(gaugeSeconds, replySeconds),
        calibration_seconds: median(calibrationSeconds), calibration_over_reply: median(calibrationSeconds) / median(replySeconds),
        reply_only_seconds: median(replyOnly), all_seconds: median(all), reply_only_over_all: medianRatio(replyOnly, all),
        reply_only_over_all_quartiles: quartiles(replyOnly, all)
    };
}

function printStrength(st: StrengthResults) {
    const spread = ([low, high]: number[]) => `${low!.toFixed(3)}–${high!.toFixed(3)}`;
    const row = (k: string, v: string, goal = "") => process.stdout.write(`${k.padEnd(26)} ${v.padStart(12)}  ${goal}\n`);
    row("gauge s / reply s", `${st.gauge_seconds.toFixed(3)} / ${st.gauge_reply_seconds.toFixed(3)}`,
        `ratio ${st.gauge_over_reply.toFixed(3)} [${spread(st.gauge_over_reply_quartiles)}] KL + repetition + perplexity, after the reply`);
    row("calibration s", st.calibration_seconds.toFixed(3), `once per model (cached): ${st.calibration_over_reply.toFixed(2)} replies' time`);
    row("reply-only s / all s", `${st.reply_only_seconds.toFixed(3)} / ${st.all_seconds.toFixed(3)}`,
        `ratio ${st.reply_only_over_all.toFixed(3)} [${spread(st.reply_only_over_all_quartiles)}] whole replies (goal < 1.02)`);
}

/** steer-chat against llama-completion on three models, and the demo's first reply (llamaCppPhase.ts) */
async function llamaCppPhase() {
    const rows = await vsLlamaCpp(ROUNDS, log);
    log("the demo's first chat reply");
    const demo = await demoFirstReply(ROUNDS);
    return {rows, demo};
}

async function main() {
    if (values["llama-cpp-only"]) {
        const vs = await llamaCppPhase();
        if (values.json) process.stdout.write(JSON.stringify({vs_llama_cpp: vs.rows, demo_first_reply: vs.demo}) + "\n");
        else printVsLlamaCpp(vs.rows, vs.demo, (line) => process.stdout.write(line));
        return;
    }
    const vs = values["no-llama-cpp"] || values["long-history-only"] || values["strength-only"] || values["serve-only"]
        ? undefined : await llamaCppPhase();
    const file = modelPath();
    log(`model: ${file}`);
    const loadPhase = await phase(() => loadModel(file, {gpu: false, contextSize: 1024}));
    let loaded: LoadedModel = loadPhase.result;
    const {nEmbd, nLayer} = SteeringController.create(loaded.context, loaded.model).shape;
    const prompt = "Once upon a time, there was a little girl named Lily. She";

    // four random unit vectors on every steerable layer, small enough to keep the text going
    const dir = mkdtempSync(path.join(os.tmpdir(), "steer-bench-vectors-"));
    const vectors = Array.from({length: 4}, (_, v) => {
        const vector = {nEmbd, directions: new Map(Array.from({length: nLayer - 1}, (_, i) => {
            const d = Float32Array.from({length: nEmbd}, (_, k) => Math.sin((v + 1) * (i + 2) * (k + 3)));
            const norm = Math.hypot(...d);
            return [i + 1, d.map((x) => x / norm)] as const;
        }))};
        const out = path.join(dir, `v${v}.gguf`);
        saveControlVector(out, vector);
        return out;
    });

    if (values["serve-only"]) {
        await loaded.dispose();
        log("serve: 1 client, 4 clients with one steering, 4 with four");
        const serve = await serveBench(file, vectors, {rounds: ROUNDS, tokens: GENERATE, prompt, log});
        if (values.json) process.stdout.write(JSON.stringify({model: path.basename(file), n_embd: nEmbd, n_layer: nLayer, serve}) + "\n");
        else {
            process.stdout.write(`\n${path.basename(file)} (n_embd ${nEmbd}, ${nLayer} layers), ${GENERATE} tokens × ${ROUNDS} rounds, `
                + "medians [quartiles of the per-round ratios]\n\n");
            printServe(serve, (line) => process.stdout.write(line));
        }
        return;
    }

    if (values["long-history-only"]) {
        log("long history: the turn after a steering change");
        const lh = await longHistory(loaded, vectors[0]!, prompt);
        await loaded.dispose();
        if (values.json) process.stdout.write(JSON.stringify({model: path.basename(file), n_embd: nEmbd, n_layer: nLayer, long_history: lh}) + "\n");
        else {
            process.stdout.write(`\n${path.basename(file)} (n_embd ${nEmbd}, ${nLayer} layers), medians [quartiles of the per-round ratios]\n\n`);
            printLongHistory(lh);
        }
        return;
    }

    const controller = SteeringController.create(loaded.context, loaded.model);
    let policy: SteerPolicy = "all";
    const conversation = createConversation(loaded, {mode: "raw", sampling: {temperature: 0, maxTokens: GENERATE},
        beforeTurn: () => controller.applyStaged(), replySettings: replyOnlySettings(controller, () => policy)});
    for (const v of vectors) await controller.addVector(v, 0.05);
    const steeringOn = () => controller.update((s) => s.entries.reduce((acc, e) => acc.setEnabled(e.name, true), s));
    const steeringOff = () => controller.update((s) => s.allOff());

    const runStrength = async () => {
        log("strength: coherence gauge vs reply, one calibration, reply-only vs all (4 vectors on)");
        steeringOn();
        const st = await strengthBench(loaded, controller, conversation, (p) => { policy = p; }, prompt);
        steeringOff();
        return st;
    };
    if (values["strength-only"]) {
        const st = await runStrength();
        await loaded.dispose();
        if (values.json) process.stdout.write(JSON.stringify({model: path.basename(file), n_embd: nEmbd, n_layer: nLayer, strength: st}) + "\n");
        else {
            process.stdout.write(`\n${path.basename(file)} (n_embd ${nEmbd}, ${nLayer} layers), ${GENERATE} tokens × ${ROUNDS} rounds, medians [quartiles of the per-round ratios]\n\n`);
            printStrength(st);
        }
        return;
    }
    const strengthResults = await runStrength();

    log("generation: base vs 4 vectors on all layers, interleaved");
    const base: number[] = [];
    const steered: number[] = [];
    const genPhase = await phase(async () => {
        await generate(conversation, prompt); // warm-up
        // alternate the order (ABBA) so a drift in machine speed does not favour either side
        for (let r = 0; r < ROUNDS; r++) {
            for (const on of r % 2 === 0 ? [false, true] : [true, false]) {
                if (on) steeringOn(); else steeringOff();
                (on ? steered : base).push((await generate(conversation, prompt)).tokensPerSecond);
            }
        }
    });
    steeringOff();

    log("generation through the Ink app");
    const tui: number[] = [];
    const tuiBase: number[] = [];
    // the main thread's busy share while a reply is written: what the UI costs, without the machine's speed noise
    const tuiBusy: number[] = [];
    const plainBusy: number[] = [];
    const tuiPhase = await phase(async () => {
        const throughApp = async () => {
            let replied!: (reply: Reply) => void;
            const done = new Promise<Reply>((resolve) => { replied = resolve; });
            const recording: Conversation = Object.create(conversation, {
                send: {value: async (text: string, options: object) => {
                    const reply = await conversation.send(text, options);
                    replied(reply);
                    return reply;
                }}
            });
            await conversation.clear();
            const app = render(<App session={new ChatSession({conversation: recording, modelName: "bench"})} />);
            await new Promise((r) => setTimeout(r, 50));
            for (const ch of prompt) app.stdin.write(ch);
            await new Promise((r) => setTimeout(r, 50));
            const started = perfHooks.eventLoopUtilization();
            app.stdin.write("\r");
            const reply = await done;
            tuiBusy.push(perfHooks.eventLoopUtilization(started).utilization);
            app.unmount();
            return reply.tokensPerSecond;
        };
        const plain = async () => {
            const started = perfHooks.eventLoopUtilization();
            const reply = await generate(conversation, prompt);
            plainBusy.push(perfHooks.eventLoopUtilization(started).utilization);
            return reply.tokensPerSecond;
        };
        for (let r = 0; r < ROUNDS; r++) {
            for (const viaApp of r % 2 === 0 ? [false, true] : [true, false])
                (viaApp ? tui : tuiBase).push(viaApp ? await throughApp() : await plain());
        }
    });

    // the chat's read-out: after each reply, its tokens evaluated unsteered on the capture context and read on each
    // loaded vector; its cost next to the reply's generation (the goal: under 25 %, and it runs after the reply is shown)
    log("read-out of a reply on 4 vectors vs the reply's generation");
    steeringOn();
    const reader = new ReplyReader(loaded);
    const readSeconds: number[] = [];
    const replySeconds: number[] = [];
    const readPhase = await phase(async () => {
        // warm-up: capture context and baseline
        await reader.read((await generate(conversation, prompt)).tokens, controller.appliedState.entries);
        for (let r = 0; r < ROUNDS; r++) {
            const started = performance.now();
            const reply = await generate(conversation, prompt);
            replySeconds.push((performance.now() - started) / 1000);
            readSeconds.push((await reader.read(reply.tokens, controller.appliedState.entries))!.seconds);
        }
    });
    await reader.free();
    steeringOff();

    log("switch: coefficient change -> re-mix + apply");
    steeringOn(); // the four vectors on all layers: a real re-mix and apply each time
    const switchTimes: number[] = [];
    const switchPhase = await phase(async () => {
        for (let i = 0; i < 200; i++) {
            const started = performance.now();
            controller.update((s) => s.setCoefficient("v0", 0.05 + (i % 2) * 0.01));
            controller.applyStaged();
            switchTimes.push(performance.now() - started);
        }
    });
    // an 8B-shaped set (32 layers × 4096, 4 vectors), mixing only: no such model is loaded here
    const big = Array.from({length: 4}, (_, v) => ({vector: {nEmbd: 4096, directions: new Map(Array.from({length: 31}, (_, i) =>
        [i + 1, Float32Array.from({length: 4096}, (_, k) => Math.sin(v + i + k))] as const))}, coefficient: 0.5, enabled: true}));
    const timeBigMix = (kernel: ScaleAddKernel) => {
        const times: number[] = [];
        for (let i = 0; i < 100; i++) {
            const started = performance.now();
            big[0]!.coefficient = 0.5 + (i % 2) * 0.1;
            mixControlVectors(big, {nEmbd: 4096, nLayer: 32}, kernel);
            times.push(performance.now() - started);
        }
        return median(times.slice(20)); // after warm-up
    };
    // llama_set_adapter_cvec marks llama.cpp's compute graph for re-reservation, paid by the next decode: time to
    // the first token of a reply after a switch vs after no change (both from an empty cache), ABBA
    log("first token after a switch vs after no change");
    const firstTokenSwitch: number[] = [];
    const firstTokenSame: number[] = [];
    const timeToFirstToken = async () => {
        await conversation.clear();
        const started = performance.now();
        let first = 0;
        await conversation.send(prompt, {onText: () => { if (first === 0) first = performance.now(); }});
        return first - started;
    };
    conversation.sampling.maxTokens = 1;
    for (let r = 0; r < ROUNDS * 2; r++) {
        for (const switched of r % 2 === 0 ? [false, true] : [true, false]) {
            if (switched) controller.update((s) => s.setCoefficient("v0", 0.05 + (r % 2) * 0.01 + (switched ? 0.001 : 0)));
            (switched ? firstTokenSwitch : firstTokenSame).push(await timeToFirstToken());
        }
    }
    conversation.sampling.maxTokens = GENERATE;

    const native = loadNativeSteering();
    const bigMixJs = timeBigMix(scaleAddJs);
    const bigMix = native.available ? timeBigMix(native.native.scaleAdd) : bigMixJs;

    log("reload: what llama.cpp's CLI makes a user pay for any change");
    conversation.dispose();
    const reloadPhase = await phase(async () => {
        await loaded.dispose();
        loaded = await loadModel(file, {gpu: false, contextSize: 1024});
    });

    log("training a recipe vector vs plain evaluation of the same tokens");
    const prompts = renderRecipe(loadRecipe("happy"), loaded.model);
    const prefill = () => phase(async () => {
        const sequence = loaded.context.getSequence();
        for (const prompt of [...prompts.positives, ...prompts.negatives]) {
            await sequence.clearHistory();
            await sequence.evaluateWithoutGeneratingNewTokens(typeof prompt === "string" ? tokenizePrompt(loaded.model, prompt) : prompt);
        }
        sequence.dispose();
    });
    const train = () => phase(() => trainControlVector(loaded, {...prompts, method: "mean", positions: "last"}));
    const trainRounds = Math.max(1, Math.min(ROUNDS, 5));
    const prefillTimes: number[] = [];
    const trainTimes: number[] = [];
    let trainPhase!: Awaited<ReturnType<typeof train>>;
    let prefillPhase!: Awaited<ReturnType<typeof prefill>>;
    for (let r = 0; r < trainRounds; r++) {
        for (const training of r % 2 === 0 ? [false, true] : [true, false]) {
            if (training) {
                trainPhase = await train();
                trainTimes.push(trainPhase.seconds);
            } else {
                prefillPhase = await prefill();
                prefillTimes.push(prefillPhase.seconds);
            }
        }
    }
    log("long history: the turn after a steering change");
    const longHistoryResults = await longHistory(loaded, vectors[0]!, prompt);
    await loaded.dispose();
    log("serve: 1 client, 4 clients with one steering, 4 with four");
    const serveResults = await serveBench(file, vectors, {rounds: ROUNDS, tokens: GENERATE, prompt, log});

    const results = {
        model: path.basename(file), n_embd: nEmbd, n_layer: nLayer, generated_tokens: GENERATE, rounds: ROUNDS,
        base_tokens_per_s: median(base), steered_tokens_per_s: median(steered), steered_over_base: medianRatio(steered, base),
        steered_over_base_quartiles: quartiles(steered, base),
        tui_tokens_per_s: median(tui), tui_over_base: medianRatio(tui, tuiBase), tui_over_base_quartiles: quartiles(tui, tuiBase),
        main_thread_busy: {plain: median(plainBusy), tui: median(tuiBusy)},
        switch_ms: median(switchTimes), switch_ms_8b_mix_only: bigMix, switch_ms_8b_mix_only_js_kernel: bigMixJs,
        reload_ms: reloadPhase.seconds * 1000,
        first_token_ms_after_switch: median(firstTokenSwitch), first_token_ms_no_change: median(firstTokenSame),
        first_token_after_switch_over_no_change: medianRatio(firstTokenSwitch, firstTokenSame),
        first_token_after_switch_over_no_change_quartiles: quartiles(firstTokenSwitch, firstTokenSame),
        train_seconds: median(trainTimes), prefill_seconds: median(prefillTimes), train_over_prefill: medianRatio(trainTimes, prefillTimes),
        train_over_prefill_quartiles: quartiles(trainTimes, prefillTimes), train_rounds: trainRounds,
        train_tokens: trainPhase.result.evaluatedTokens,
        readout_seconds: median(readSeconds), reply_seconds: median(replySeconds),
        readout_over_reply: medianRatio(readSeconds, replySeconds), readout_over_reply_quartiles: quartiles(readSeconds, replySeconds),
        long_history: longHistoryResults,
        strength: strengthResults,
        serve: serveResults,
        ...(vs == null ? {} : {vs_llama_cpp: vs.rows, demo_first_reply: vs.demo}),
        short_runs: shortRuns,
        peak_rss_mb: {load: loadPhase.peakRssMb, generate: genPhase.peakRssMb, tui: tuiPhase.peakRssMb, switch: switchPhase.peakRssMb,
            readout: readPhase.peakRssMb, reload: reloadPhase.peakRssMb, prefill: prefillPhase.peakRssMb, train: trainPhase.peakRssMb}
    };
    if (values.json) {
        process.stdout.write(JSON.stringify(results) + "\n");
        return;
    }
    const spread = ([low, high]: number[]) => `${low!.toFixed(2)}–${high!.toFixed(2)}`;
    const row = (k: string, v: string, goal = "") => process.stdout.write(`${k.padEnd(26)} ${v.padStart(12)}  ${goal}\n`);
    process.stdout.write(`\n${results.model} (n_embd ${nEmbd}, ${nLayer} layers), ${GENERATE} tokens × ${ROUNDS} rounds, medians [quartiles of the per-round ratios]\n\n`);
    row("base tok/s", results.base_tokens_per_s.toFixed(1));
    row("steered tok/s (4 vectors)", results.steered_tokens_per_s.toFixed(1), `ratio ${results.steered_over_base.toFixed(3)} [${spread(results.steered_over_base_quartiles)}] (goal >= 0.98)`);
    row("Ink app tok/s", results.tui_tokens_per_s.toFixed(1), `ratio ${results.tui_over_base.toFixed(3)} [${spread(results.tui_over_base_quartiles)}] (goal >= 0.95)`);
    row("main thread busy", `${(results.main_thread_busy.plain * 100).toFixed(1)} % / ${(results.main_thread_busy.tui * 100).toFixed(1)} %`, "plain generation / through the Ink app");
    row("switch ms (this model)", results.switch_ms.toFixed(3), "coefficient change -> applied (goal < 1 ms)");
    row("switch ms (8B-shaped mix)", results.switch_ms_8b_mix_only.toFixed(3), "32 × 4096 × 4 vectors, re-mix only (goal < 1 ms)");
    row("  same, JS kernel", results.switch_ms_8b_mix_only_js_kernel.toFixed(3), "the fallback when the native helper is missing");
    row("first token ms", `${results.first_token_ms_after_switch.toFixed(1)} / ${results.first_token_ms_no_change.toFixed(1)}`,
        `after a switch / after no change (both from an empty cache): ratio ${results.first_token_after_switch_over_no_change.toFixed(2)} [${spread(results.first_token_after_switch_over_no_change_quartiles)}]`);
    row("reload ms", results.reload_ms.toFixed(0), "model + context reload (the llama.cpp CLI way)");
    row("train s / prefill s", `${results.train_seconds.toFixed(3)} / ${results.prefill_seconds.toFixed(3)}`,
        `ratio ${results.train_over_prefill.toFixed(2)} [${spread(results.train_over_prefill_quartiles)}] (goal <= 1.2), ${results.train_tokens} tokens, ${trainRounds} rounds`);
    row("read-out s / reply s", `${results.readout_seconds.toFixed(3)} / ${results.reply_seconds.toFixed(3)}`,
        `ratio ${results.readout_over_reply.toFixed(3)} [${spread(results.readout_over_reply_quartiles)}] (goal < 0.25), 4 vectors, after the reply`);
    printLongHistory(results.long_history);
    printStrength(results.strength);
    printServe(results.serve, (line) => process.stdout.write(line));
    if (vs != null) printVsLlamaCpp(vs.rows, vs.demo, (line) => process.stdout.write(line));
    if (results.short_runs > 0) row("short runs", String(results.short_runs), `runs that hit EOS before ${GENERATE} tokens: their speeds are less comparable`);
    row("peak RSS MB", Object.entries(results.peak_rss_mb).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(" · "));
}

await main();
process.exit(0);
