/**
 * Control vectors llama.cpp loads that steer-chat used to refuse, against llama.cpp's own output: directions
 * beyond the model's layers (llama.cpp applies the layers that exist), a layer range starting at 0 (llama.cpp
 * starts at 1), and a file whose general.architecture is not "controlvector" (llama.cpp does not look). Each gives
 * llama-completion's text, with a one-line warning where llama.cpp is silent. F16 directions: llama.cpp's loader
 * takes only F32 and runs unsteered; steer-chat converts them to F32 and says so.
 * The recorded reference (test/fixtures/llama-completion.json) is always checked; llama-completion itself is run
 * too when it is built (scripts/build-llama-tools.sh, or LLAMA_TOOLS_BIN pointing at a build's bin folder).
 * steer-chat's own metadata (steer-chat.quality.*) is ignored by llama.cpp: a scored file steers as its directions do.
 */
import {execFile, execFileSync} from "node:child_process";
import {existsSync, readFileSync, writeFileSync} from "node:fs";
import path from "node:path";
import {promisify} from "node:util";
import {beforeAll, describe, expect, it} from "vitest";
import {gguf, GgmlTensorType, writeGguf} from "../../src/gguf/ggufWriter.js";
import {encodeControlVector, parseControlVector, type ControlVector} from "../../src/steering/controlVector.js";
import {loadControlVector} from "../../src/steering/loadControlVector.js";
import type {VectorQuality} from "../../src/steering/vectorQuality.js";
import {fixtureVectors, repoRoot, storiesModel, tempDir} from "../helpers/steeringTestKit.js";

const run = promisify(execFile);
const dir = tempDir("steer-interop-");
const fixture = JSON.parse(readFileSync(path.join(repoRoot, "test", "fixtures", "llama-completion.json"), "utf8")) as
    {cases: {prompt: string, maxTokens: number, vectors?: string[], layers?: [number, number], expected: string}[]};
const happyAt1 = fixture.cases.find((c) => c.vectors?.join() === "happy.gguf:1")!;
const llamaCompletion = path.join(process.env.LLAMA_TOOLS_BIN ?? path.join(repoRoot, ".cache", "llama-tools", "bin"), "llama-completion");
const hasReference = existsSync(llamaCompletion);

async function ask(vectors: string[], extra: string[] = []) {
    const args = ["ask", "--raw", "--temperature", "0", "--max-tokens", String(happyAt1.maxTokens), "--model", storiesModel, ...extra];
    for (const v of vectors) args.push("--vector", v);
    const {stdout, stderr} = await run(process.execPath, [path.join(repoRoot, "bin", "steer-chat.js"), ...args, happyAt1.prompt], {cwd: repoRoot});
    return {stdout, stderr};
}

/**
 * llama-completion's greedy text. Its log thread can drop the tail at exit, so it runs until the closing "\n\n" is
 * seen: with two busy loops on 2 cores only 3 runs in 12 printed it whole, so 10 tries were not enough.
 */
function reference(args: string[]): string {
    for (let attempt = 0; attempt < 60; attempt++) {
        const out = execFileSync(llamaCompletion, ["-m", storiesModel, "--temp", "0", "-no-cnv", "--no-display-prompt", "--no-warmup",
            "-p", happyAt1.prompt, "-n", String(happyAt1.maxTokens), ...args], {encoding: "utf8", stdio: ["ignore", "pipe", "ignore"]});
        if (out.endsWith("\n\n")) return out.slice(0, -2).replace(/ \[end of text\]\n$/, "");
    }
    throw new Error(`llama-completion never finished its output for ${args.join(" ")}`);
}

function directionTensors(vector: ControlVector, type = GgmlTensorType.F32) {
    return [...vector.directions].map(([layer, data]) => ({name: `direction.${layer}`, dims: [vector.nEmbd], data, type}));
}

describe("control vectors llama.cpp loads are loaded as llama.cpp loads them", () => {
    const files = {beyond: path.join(dir, "beyond.gguf"), arch: path.join(dir, "arch.gguf"), f16: path.join(dir, "f16.gguf"), f16AsF32: path.join(dir, "f16-as-f32.gguf")};
    const happy = path.join(fixtureVectors, "happy.gguf");

    beforeAll(async () => {
        const vector = await loadControlVector(happy);
        expect([...vector.directions.keys()]).toEqual([1, 2, 3, 4]); // stories260K has 5 layers: 1-4 are steerable
        // strong directions 5-7: if they were applied anywhere, the text would change
        const beyond = new Map(vector.directions);
        for (const layer of [5, 6, 7]) beyond.set(layer, new Float32Array(vector.nEmbd).fill(4));
        writeFileSync(files.beyond, encodeControlVector({...vector, directions: beyond}));
        writeFileSync(files.arch, writeGguf({"general.architecture": gguf.str("llama")}, directionTensors(vector)));
        writeFileSync(files.f16, writeGguf({"general.architecture": gguf.str("controlvector")}, directionTensors(vector, GgmlTensorType.F16)));
        // the same values, rounded to F16 as the file holds them, in an F32 file
        writeFileSync(files.f16AsF32, encodeControlVector(await loadControlVector(files.f16)));
    });

    it("directions beyond the model's layers are ignored, with a warning naming them", async () => {
        const {stdout, stderr} = await ask([`${files.beyond}:1`]);
        expect(stdout).toBe(happyAt1.expected);
        expect(stderr).toBe("steer-chat: beyond: directions 5-7 are beyond this model's layers and are ignored\n");
        if (hasReference) expect(reference(["--control-vector-scaled", `${files.beyond}:1`])).toBe(stdout);
    });

    it("a file whose general.architecture is not controlvector is used for its direction tensors, with a warning", async () => {
        const {stdout, stderr} = await ask([`${files.arch}:1`]);
        expect(stdout).toBe(happyAt1.expected);
        expect(stderr).toMatch(/^steer-chat: arch: its general\.architecture is "llama", not "controlvector"; .*\n$/);
        if (hasReference) expect(reference(["--control-vector-scaled", `${files.arch}:1`])).toBe(stdout);
    });

    it("a layer range starting at 0 is the range from layer 1, with a warning", async () => {
        const fromZero = await ask([`${happy}:3`], ["--layers", "0-3"]);
        const fromOne = await ask([`${happy}:3`], ["--layers", "1-3"]);
        expect(fromZero.stdout).toBe(fromOne.stdout);
        expect(fromOne.stderr).toBe("");
        expect(fromZero.stderr).toBe("steer-chat: happy: layer 0 is never steered (llama.cpp starts at layer 1): using layers 1-3\n");
        if (hasReference)
            expect(reference(["--control-vector-scaled", `${happy}:3`, "--control-vector-layer-range", "0", "3"])).toBe(fromZero.stdout);
    });

    it("F16 directions are converted to F32 and steer like their F32 copy, with a warning (llama.cpp ignores such a file)", async () => {
        const f16 = await ask([`${files.f16}:1`]);
        const f32 = await ask([`${files.f16AsF32}:1`]);
        expect(f16.stdout).toBe(f32.stdout);
        expect(f16.stderr).toMatch(/^steer-chat: f16: its directions are F16 and were converted to F32 .*\n$/);
        if (hasReference) expect(reference(["--control-vector-scaled", `${files.f16}:1`])).toBe(reference([]));
    });

    it("a vector carrying steer-chat.quality.* metadata loads in llama.cpp and steers as the same directions without it", async () => {
        const scored = path.join(dir, "scored.gguf");
        const vector = await loadControlVector(happy);
        const quality: VectorQuality = {trainPairs: 16, heldOutPairs: 4, seed: 0, bestLayers: [2, 1],
            layers: [1, 2, 3, 4].map((layer) => ({layer, auroc: 0.5 + layer / 8, gapZ: layer, pairCosine: 0.25}))}; // exact in float32
        writeFileSync(scored, encodeControlVector({...vector, quality}));
        expect((await loadControlVector(scored)).quality).toEqual(quality); // the keys are there
        const {stdout, stderr} = await ask([`${scored}:1`]);
        expect(stderr).toBe("");
        expect(stdout).toBe(happyAt1.expected); // llama.cpp's recorded text for happy.gguf:1
        if (hasReference) expect(reference(["--control-vector-scaled", `${scored}:1`])).toBe(stdout);
    });

    it("F16 values decode exactly, subnormals and the largest half included", () => {
        const halves = [0x3800, 0xbd00, 0x0001, 0x7bff, 0x3555];
        const bytes = Buffer.alloc(halves.length * 2);
        halves.forEach((h, i) => bytes.writeUInt16LE(h, i * 2));
        const vector = parseControlVector("x.gguf", {general: {architecture: "controlvector"}},
            [{name: "direction.1", dimensions: [halves.length], ggmlType: GgmlTensorType.F16, fileOffset: 0}], () => bytes, bytes.length);
        expect([...vector.directions.get(1)!]).toEqual([0.5, -1.25, 2 ** -24, 65504, Math.fround(0.333251953125)]);
    });

    it("what llama.cpp refuses stays refused: a model file passed as a vector, direction.0, a 2-D direction", async () => {
        const model = path.join(dir, "model.gguf");
        writeFileSync(model, writeGguf({"general.architecture": gguf.str("llama")},
            [{name: "direction.1", dims: [64], data: new Float32Array(64)}, {name: "token_embd.weight", dims: [64, 2], data: new Float32Array(128)}]));
        await expect(loadControlVector(model)).rejects.toThrow(/"llama" GGUF, not a control vector/);
        const zero = path.join(dir, "zero.gguf");
        writeFileSync(zero, writeGguf({"general.architecture": gguf.str("controlvector")}, [{name: "direction.0", dims: [64], data: new Float32Array(64)}]));
        await expect(loadControlVector(zero)).rejects.toThrow(/direction\.0 is not allowed/);
        const flat = path.join(dir, "2d.gguf");
        writeFileSync(flat, writeGguf({"general.architecture": gguf.str("controlvector")}, [{name: "direction.1", dims: [32, 2], data: new Float32Array(64)}]));
        await expect(loadControlVector(flat)).rejects.toThrow(/not 1-D/);
    });
});
