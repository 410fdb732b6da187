#!/usr/bin/env node
// Regenerates test/fixtures/llama-completion.json: the text llama.cpp's own llama-completion (built from the source
// node-llama-cpp bundles, see scripts/build-llama-tools.sh) prints for fixed prompts with greedy decoding.
// llama.cpp logs from a worker thread, so the tail of its output can be lost at exit: each case is run until a
// complete output (ending in the "\n\n" it prints last) is seen, and the runs must agree.
import {execFileSync} from "node:child_process";
import {existsSync, writeFileSync} from "node:fs";

const bin = ".cache/llama-tools/bin/llama-completion";
const model = "models/stories260K.gguf";
if (!existsSync(bin)) throw new Error(`${bin} is missing: run scripts/build-llama-tools.sh first`);

export function runLlamaCompletion(args) {
    let best;
    for (let attempt = 0; attempt < 10; attempt++) {
        const out = execFileSync(bin, ["-m", model, "--temp", "0", "-no-cnv", "--no-display-prompt", "--no-warmup", ...args],
            {encoding: "utf8", stdio: ["ignore", "pipe", "ignore"]});
        if (best != null && !(best.startsWith(out) || out.startsWith(best))) throw new Error(`llama-completion disagrees with itself for ${args}`);
        if (best == null || out.length > best.length) best = out;
        if (best.endsWith("\n\n")) return best.slice(0, -2).replace(/ \[end of text\]\n$/, "");
    }
    throw new Error(`never saw complete output for ${args}`);
}

const cases = [
    {prompt: "Once upon a time", maxTokens: 48},
    {prompt: "The little dog", maxTokens: 48},
    {prompt: " Tom and Sue went to the park. They", maxTokens: 48},
    {prompt: "Lily wanted to", maxTokens: 64}
];
// steered cases: vectors made by llama.cpp's cvector-generator (--method mean) from test/fixtures/prompts
const vectors = "test/fixtures/vectors";
for (const [positive, negative] of [["happy", "sad"], ["dog", "cat"]]) {
    execFileSync(".cache/llama-tools/bin/llama-cvector-generator", ["-m", model, "--method", "mean",
        "--positive-file", `test/fixtures/prompts/${positive}.txt`, "--negative-file", `test/fixtures/prompts/${negative}.txt`,
        "-o", `${vectors}/${positive}.gguf`], {stdio: "ignore"});
}
cases.push(
    {prompt: "Once upon a time", maxTokens: 40, vectors: ["happy.gguf:1"]},
    {prompt: "Once upon a time", maxTokens: 40, vectors: ["happy.gguf:-1.5"]},
    {prompt: "The little dog", maxTokens: 40, vectors: ["happy.gguf:1.5", "dog.gguf:-0.75"]},
    {prompt: "Once upon a time", maxTokens: 40, vectors: ["happy.gguf:3"], layers: [2, 3]},
    {prompt: "Lily wanted to", maxTokens: 40, vectors: ["dog.gguf:2", "happy.gguf:0.5"], layers: [3, 4]},
    // the same file twice is summed (llama.cpp adds every --control-vector), also in the middle of a longer sum
    {prompt: "Once upon a time", maxTokens: 40, vectors: ["happy.gguf:1", "happy.gguf:0.5"]},
    {prompt: "Lily wanted to", maxTokens: 40, vectors: ["dog.gguf:0.7", "happy.gguf:-0.3", "dog.gguf:1.1"]}
);
// a vector trained by steer-chat itself, to show llama.cpp loads what we write (and steers the same way)
execFileSync(process.execPath, ["bin/steer-chat.js", "train", "--model", model, "--method", "mean", "--positions", "all",
    "--positive", "test/fixtures/prompts/happy.txt", "--negative", "test/fixtures/prompts/sad.txt",
    "--output", `${vectors}/trained-happy.gguf`], {stdio: "ignore"});
cases.push({prompt: "Once upon a time", maxTokens: 40, vectors: ["trained-happy.gguf:-2"]});
const fixtures = cases.map((c) => {
    const args = ["-p", c.prompt, "-n", String(c.maxTokens)];
    for (const v of c.vectors ?? []) args.push("--control-vector-scaled", `${vectors}/${v}`);
    if (c.layers) args.push("--control-vector-layer-range", String(c.layers[0]), String(c.layers[1]));
    return {...c, expected: runLlamaCompletion(args)};
});
writeFileSync("test/fixtures/llama-completion.json", JSON.stringify({
    generatedBy: "scripts/make-fixtures.mjs with llama-completion from node-llama-cpp's bundled llama.cpp",
    model: "stories260K.gguf",
    cases: fixtures
}, null, 2) + "\n");
console.log(fixtures);
