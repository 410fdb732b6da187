/**
 * Control vectors llama.cpp loads that steer-chat used to refuse, against llama.cpp's own output: directions
 * beyond the model's layers (llama.cpp applies the layers that exist), a layer range starting at 0 (llama.cpp
 * starts at 1), and a file whose general.architecture is not "controlvector" (llama.cpp does not look). Each gives
 * llama-completion's text, with a one-line warning where llama.cpp is silent. F16 directions: llama.cpp's loader
 * takes only F32 and runs unsteered; steer-chat converts them to F32 and says so.
 * llama-completion's text for each file is recorded once (test/fixtures/llama-interop.json, with its command line
 * and llama.cpp's version) by scripts/record-llama-reference.ts, which also checks the record is current (--check):
 * run by hand, since it needs llama.cpp's tools built and llama-completion now and then loses the end of its output
 * at exit, so it must be retried. The files are built by the same code in test and script (helpers/interopVectors.ts).
 * steer-chat's own metadata (steer-chat.quality.*) is ignored by llama.cpp: a scored file steers as its directions do.
 */
import {execFile} from "node:child_process";
import {readFileSync, writeFileSync} from "node:fs";
import path from "node:path";
import {promisify} from "node:util";
import {beforeAll, describe, expect, it} from "vitest";
import {gguf, GgmlTensorType, writeGguf} from "../../src/gguf/ggufWriter.js";
import {parseControlVector} from "../../src/steering/controlVector.js";
import {loadControlVector} from "../../src/steering/loadControlVector.js";
import {completionArgs, INTEROP_PROMPT, INTEROP_RUNS, SCORED_QUALITY, writeInteropVectors, type InteropFiles, type InteropFixture} from "../helpers/interopVectors.js";
import {fixtureVectors, repoRoot, storiesModel, tempDir} from "../helpers/steeringTestKit.js";

const run = promisify(execFile);
const dir = tempDir("steer-interop-");
const fixture = JSON.parse(readFileSync(path.join(repoRoot, "test", "fixtures", "llama-completion.json"), "utf8")) as
    {cases: {prompt: string, maxTokens: number, vectors?: string[], layers?: [number, number], expected: string}[]};
const happyAt1 = fixture.cases.find((c) => c.vectors?.join() === "happy.gguf:1")!;
const recorded = JSON.parse(readFileSync(path.join(repoRoot, "test", "fixtures", "llama-interop.json"), "utf8")) as InteropFixture;
/** llama-completion's recorded text for one of INTEROP_RUNS */
const reference = (name: string) => {
    const found = recorded.runs.find((r) => r.name === name);
    if (found == null) throw new Error(`test/fixtures/llama-interop.json has no run named ${name}: run scripts/record-llama-reference.ts`);
    return found.text;
};

async function ask(vectors: string[], extra: string[] = []) {
    const args = ["ask", "--raw", "--temperature", "0", "--max-tokens", String(happyAt1.maxTokens), "--model", storiesModel, ...extra];
    for (const v of vectors) args.push("--vector", v);
    const {stdout, stderr} = await run(process.execPath, [path.join(repoRoot, "bin", "steer-chat.js"), ...args, happyAt1.prompt], {cwd: repoRoot});
    return {stdout, stderr};
}

describe("control vectors llama.cpp loads are loaded as llama.cpp loads them", () => {
    let files: InteropFiles;
    const happy = path.join(fixtureVectors, "happy.gguf");

    beforeAll(async () => {
        const vector = await loadControlVector(happy);
        expect([...vector.directions.keys()]).toEqual([1, 2, 3, 4]); // stories260K has 5 layers: 1-4 are steerable
        files = await writeInteropVectors(dir, happy);
    });

    it("the record of llama-completion's runs is for this prompt, these files and the vector-free text", () => {
        expect(INTEROP_PROMPT).toEqual({prompt: happyAt1.prompt, maxTokens: happyAt1.maxTokens});
        expect(recorded.runs.map((r) => r.name)).toEqual(INTEROP_RUNS.map((r) => r.name));
        const base = completionArgs("models/stories260K.gguf");
        for (const {name, command} of recorded.runs) expect(command.slice(1, base.length + 1), name).toEqual(base);
        expect(reference("scored")).toBe(happyAt1.expected); // llama-completion.json's happy.gguf:1, recorded apart
    });

    it("directions beyond the model's layers are ignored, with a warning naming them", async () => {
        const {stdout, stderr} = await ask([`${files.beyond}:1`]);
        expect(stdout).toBe(reference("beyond"));
        expect(stderr).toBe("steer-chat: beyond: directions 5-7 are beyond this model's layers and are ignored\n");
    });

    it("a file whose general.architecture is not controlvector is used for its direction tensors, with a warning", async () => {
        const {stdout, stderr} = await ask([`${files.arch}:1`]);
        expect(stdout).toBe(reference("arch"));
        expect(stderr).toMatch(/^steer-chat: arch: its general\.architecture is "llama", not "controlvector"; .*\n$/);
    });

    it("a layer range starting at 0 is the range from layer 1, with a warning", async () => {
        const fromZero = await ask([`${happy}:3`], ["--layers", "0-3"]);
        const fromOne = await ask([`${happy}:3`], ["--layers", "1-3"]);
        expect(fromZero.stdout).toBe(fromOne.stdout);
        expect(fromOne.stderr).toBe("");
        expect(fromZero.stderr).toBe("steer-chat: happy: layer 0 is never steered (llama.cpp starts at layer 1): using layers 1-3\n");
        expect(fromZero.stdout).toBe(reference("layersFrom0"));
    });

    it("F16 directions are converted to F32 and steer like their F32 copy, with a warning (llama.cpp ignores such a file)", async () => {
        const f16 = await ask([`${files.f16}:1`]);
        const f32 = await ask([`${files.f16AsF32}:1`]);
        expect(f16.stdout).toBe(f32.stdout);
        expect(f16.stderr).toMatch(/^steer-chat: f16: its directions are F16 and were converted to F32 .*\n$/);
        expect(reference("f16")).toBe(reference("unsteered")); // what llama.cpp did with the file: nothing
    });

    it("a vector carrying steer-chat.quality.* metadata loads in llama.cpp and steers as the same directions without it", async () => {
        expect((await loadControlVector(files.scored)).quality).toEqual(SCORED_QUALITY); // the keys are there
        const {stdout, stderr} = await ask([`${files.scored}:1`]);
        expect(stderr).toBe("");
        expect(stdout).toBe(happyAt1.expected); // llama.cpp's recorded text for happy.gguf:1
        expect(stdout).toBe(reference("scored"));
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
