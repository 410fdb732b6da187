#!/usr/bin/env -S npx tsx
// Regenerates test/fixtures/llama-chat.json: what llama.cpp's own chat (llama-completion -cnv --jinja, built from
// the source node-llama-cpp bundles, see scripts/build-llama-tools.sh) evaluates and replies, greedy, for chat copies
// of stories260K with several chat templates (test/helpers/chatModels.ts), with and without control vectors.
//   npx tsx scripts/make-chat-fixtures.ts
// Single-turn cases run with -st. Multi-turn cases give the first message with -p and the others on stdin, one a
// line. From llama-completion's -v log it records the tokens it evaluated for the first turn ("tokens: [...]"),
// for each later user message ("input tokens: [...]"), whether each reply ended on an end-of-generation token, and
// each reply's token budget: llama-completion counts -n over the whole chat (every sampled token and every later
// message's tokens come off it, and it starts again from -n only when it runs out), so a later reply's budget is
// what was left. --no-escape: steer-chat takes messages as typed (llama-completion by default turns \n, \" … into
// characters). llama.cpp logs from a worker thread and the tail can be lost at exit: each case is run until its
// output is complete, and the runs must agree.
import {spawnSync} from "node:child_process";
import {existsSync, mkdtempSync, rmSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {CHAT_TEMPLATES, writeChatModel, type ChatTemplateName} from "../test/helpers/chatModels.js";

const bin = process.env.LLAMA_COMPLETION ?? ".cache/llama-tools/bin/llama-completion";
if (!existsSync(bin)) throw new Error(`${bin} is missing: run scripts/build-llama-tools.sh first (or set LLAMA_COMPLETION)`);
const vectors = "test/fixtures/vectors";

type Case = {
    name: string, template: ChatTemplateName, system?: string, turns: string[], maxTokens: number,
    vectors?: string[], layers?: [number, number]
};
type TurnResult = {
    /** llama.cpp's budget for this reply (steer-chat's max tokens for the turn) */
    maxTokens: number,
    /** the tokens evaluated for the user message: the whole first prompt, then what the template added */
    inputTokens: number[],
    /** the reply ended on an end-of-generation token (not by its budget) */
    eog: boolean,
    reply: string
};

const cases: Case[] = [
    {name: "qa, no system prompt", template: "qa", turns: ["Once upon a time"], maxTokens: 48},
    {name: "qa, a system prompt", template: "qa", system: "Tom and Sue", turns: ["The little dog"], maxTokens: 48},
    {name: "qa, an empty system prompt is left out", template: "qa", system: "", turns: ["Once upon a time"], maxTokens: 40},
    {name: "qa, backslashes taken as typed", template: "qa", turns: ["Tom said \\\"hi\\\" to Sue\\n"], maxTokens: 40},
    {name: "llama2, no system prompt", template: "llama2", turns: ["Once upon a time"], maxTokens: 48},
    {name: "llama2, a system prompt", template: "llama2", system: "Be kind.", turns: ["Lily wanted to"], maxTokens: 48},
    {name: "chatml, no system prompt", template: "chatml", turns: ["The little dog"], maxTokens: 48},
    {name: "chatml, a system prompt", template: "chatml", system: "You tell stories.", turns: ["Once upon a time"], maxTokens: 48},
    {name: "nosys, the system prompt merged into the message", template: "nosys", system: "Be kind.", turns: ["Lily wanted to"], maxTokens: 48},
    {name: "nosys, no system prompt", template: "nosys", turns: ["Once upon a time"], maxTokens: 48},
    // steered
    {name: "qa, happy", template: "qa", turns: ["Once upon a time"], maxTokens: 40, vectors: ["happy.gguf:1"]},
    {name: "chatml, happy and dog", template: "chatml", turns: ["The little dog"], maxTokens: 40, vectors: ["happy.gguf:1.5", "dog.gguf:-0.75"]},
    {name: "llama2, dog on layers 2-3", template: "llama2", turns: ["Once upon a time"], maxTokens: 40, vectors: ["dog.gguf:2"], layers: [2, 3]},
    // the same file twice is summed (llama.cpp adds every --control-vector)
    {name: "qa, happy twice", template: "qa", turns: ["Once upon a time"], maxTokens: 40, vectors: ["happy.gguf:1", "happy.gguf:0.5"]},
    // multi-turn
    {name: "qa, three turns", template: "qa", turns: ["Once upon a time", "The little dog", "Lily and Tom"], maxTokens: 400},
    {name: "qa, three turns, replies cut by the budget", template: "qa", system: "Tom and Sue", turns: ["Once upon a time", "The little dog", "Lily and Tom"], maxTokens: 40},
    {name: "chatml, three turns", template: "chatml", system: "You tell stories.", turns: ["Once upon a time", "The little dog", "Lily and Tom"], maxTokens: 400},
    {name: "llama2, two turns", template: "llama2", system: "Be kind.", turns: ["Once upon a time", "The little dog"], maxTokens: 600},
    {name: "nosys, three turns", template: "nosys", system: "Be kind.", turns: ["Once upon a time", "The little dog", "Lily and Tom"], maxTokens: 400},
    {name: "qa, three turns, happy", template: "qa", turns: ["Once upon a time", "The little dog", "Lily and Tom"], maxTokens: 400, vectors: ["happy.gguf:1"]},
    {name: "chatml, two turns, dog and happy", template: "chatml", turns: ["The little dog", "Lily and Tom"], maxTokens: 400, vectors: ["dog.gguf:1", "happy.gguf:-0.5"]}
];

const ids = (list: string) => [...list.matchAll(/':(-?\d+)(?=, '| ?$)/g)].map((m) => Number(m[1]));
const LOG_LINE = String.raw`\n\d+\.\d\d\.\d\d\d\.\d\d\d [A-Z] `;

/** Reads llama-completion's -v log: the token lists, EOG markers and budgets, in order. */
function readLog(stderr: string, c: Case): Omit<TurnResult, "reply">[] {
    const events = [...stderr.matchAll(new RegExp(String.raw`D (tokens|input tokens): \[ ([\s\S]*?) \](?=${LOG_LINE})|D (found an EOG token)|D n_remain: (-?\d+)`, "g"))];
    const turns: Omit<TurnResult, "reply">[] = [];
    let awaitingBudget = false;
    for (const e of events) {
        if (e[1] === "tokens") turns.push({maxTokens: c.maxTokens, inputTokens: ids(e[2]!), eog: false});
        else if (e[1] === "input tokens") {
            turns.push({maxTokens: NaN, inputTokens: ids(e[2]!), eog: false});
            awaitingBudget = true;
        } else if (e[3] != null) turns.at(-1)!.eog = true;
        else if (e[4] != null && awaitingBudget) {
            turns.at(-1)!.maxTokens = Number(e[4]);
            awaitingBudget = false;
        }
    }
    return turns;
}

function runCase(c: Case, model: string): TurnResult[] {
    const single = c.turns.length === 1;
    const args = ["-m", model, "-t", "1", "--temp", "0", "-cnv", "--jinja", "--no-escape", "-n", String(c.maxTokens), "--no-warmup",
        "-v", "--no-display-prompt", "--simple-io", ...(single ? ["-st"] : []), ...(c.system != null ? ["-sys", c.system] : []), "-p", c.turns[0]!];
    for (const v of c.vectors ?? []) args.push("--control-vector-scaled", `${vectors}/${v}`);
    if (c.layers) args.push("--control-vector-layer-range", String(c.layers[0]), String(c.layers[1]));
    let seen: string | undefined;
    for (let attempt = 0; attempt < 10; attempt++) {
        const run = spawnSync(bin, args, {encoding: "utf8", input: single ? "" : c.turns.slice(1).join("\n") + "\n", maxBuffer: 1 << 28});
        if (run.status !== 0) throw new Error(`llama-completion failed for ${c.name}: ${run.stderr.slice(-600)}`);
        const {stdout, stderr} = run;
        const complete = single ? stdout.endsWith("\n\n") : stdout.endsWith("> EOF by user\n\n\n");
        if (!complete) continue;
        if (seen != null && seen !== stdout) throw new Error(`llama-completion disagrees with itself for ${c.name}`);
        seen = stdout;
        const log = readLog(stderr, c);
        if (log.length !== c.turns.length) continue;
        let replies: string[];
        if (single) replies = [stdout.slice(0, -2).replace(/ \[end of text\]\n$/, "")];
        else {
            const parts = stdout.slice(0, -"EOF by user\n\n\n".length).split("\n> ");
            if (parts.length !== c.turns.length + 1 || parts.at(-1) !== "") throw new Error(`cannot split the replies of ${c.name}`);
            replies = parts.slice(0, -1).map((p, i) => (log[i]!.eog ? p.replace(/\n$/, "") : p));
        }
        for (const t of log) if (!(t.maxTokens > 0)) throw new Error(`${c.name}: a reply's budget is ${t.maxTokens}; choose another -n`);
        return log.map((t, i) => ({...t, reply: replies[i]!}));
    }
    throw new Error(`never saw complete output for ${c.name}`);
}

const dir = mkdtempSync(path.join(os.tmpdir(), "steer-chat-fixtures-"));
try {
    const models = Object.fromEntries(Object.keys(CHAT_TEMPLATES).map((name) =>
        [name, writeChatModel("models/stories260K.gguf", name as ChatTemplateName, dir)])) as Record<ChatTemplateName, string>;
    const fixtures = cases.map((c) => {
        const turns = runCase(c, models[c.template]);
        console.log(c.name, turns.map((t) => `${t.inputTokens.length} tokens → ${JSON.stringify(t.reply.slice(0, 40))}… ${t.eog ? "eog" : "cut"}`));
        return {...c, expected: turns};
    });
    writeFileSync("test/fixtures/llama-chat.json", JSON.stringify({
        generatedBy: "scripts/make-chat-fixtures.ts with llama-completion -cnv --jinja from node-llama-cpp's bundled llama.cpp",
        model: "stories260K.gguf",
        templates: CHAT_TEMPLATES,
        cases: fixtures
    }, null, 2) + "\n");
} finally {
    rmSync(dir, {recursive: true, force: true});
}
