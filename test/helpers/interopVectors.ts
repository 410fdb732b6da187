/**
 * The control-vector files the llama.cpp interop test (test/hardening/interop.test.ts) gives both steer-chat and
 * llama-completion, and the llama-completion runs recorded for them in test/fixtures/llama-interop.json by
 * scripts/record-llama-reference.ts. Test and script build the files here, so the recorded text is for the files
 * the test uses. Every file is made from happy.gguf (llama.cpp's cvector-generator, test/fixtures/vectors).
 */
import {writeFileSync} from "node:fs";
import path from "node:path";
import {gguf, GgmlTensorType, writeGguf} from "../../src/gguf/ggufWriter.js";
import {encodeControlVector, type ControlVector} from "../../src/steering/controlVector.js";
import {loadControlVector} from "../../src/steering/loadControlVector.js";
import type {VectorQuality} from "../../src/steering/vectorQuality.js";

/** the prompt and length of llama-completion.json's happy.gguf:1 case (its text is the unchanged-steering reference) */
export const INTEROP_PROMPT = {prompt: "Once upon a time", maxTokens: 40};

export type InteropFiles = {happy: string, beyond: string, arch: string, f16: string, f16AsF32: string, scored: string};

/** the scores written into scored.gguf: exact in float32 */
export const SCORED_QUALITY: VectorQuality = {trainPairs: 16, heldOutPairs: 4, seed: 0, bestLayers: [2, 1],
    layers: [1, 2, 3, 4].map((layer) => ({layer, auroc: 0.5 + layer / 8, gapZ: layer, pairCosine: 0.25}))};

function directionTensors(vector: ControlVector, type = GgmlTensorType.F32) {
    return [...vector.directions].map(([layer, data]) => ({name: `direction.${layer}`, dims: [vector.nEmbd], data, type}));
}

/**
 * Writes into `dir`: beyond.gguf (happy plus strong directions 5-7, past stories260K's layers), arch.gguf (happy's
 * directions in a file whose general.architecture is "llama"), f16.gguf (happy's directions as F16), f16-as-f32.gguf
 * (the same values, rounded to F16 as that file holds them, in an F32 file) and scored.gguf (happy with
 * steer-chat.quality.* metadata).
 */
export async function writeInteropVectors(dir: string, happy: string): Promise<InteropFiles> {
    const files = {happy, beyond: path.join(dir, "beyond.gguf"), arch: path.join(dir, "arch.gguf"), f16: path.join(dir, "f16.gguf"),
        f16AsF32: path.join(dir, "f16-as-f32.gguf"), scored: path.join(dir, "scored.gguf")};
    const vector = await loadControlVector(happy);
    const beyond = new Map(vector.directions);
    for (const layer of [5, 6, 7]) beyond.set(layer, new Float32Array(vector.nEmbd).fill(4));
    writeFileSync(files.beyond, encodeControlVector({...vector, directions: beyond}));
    writeFileSync(files.arch, writeGguf({"general.architecture": gguf.str("llama")}, directionTensors(vector)));
    writeFileSync(files.f16, writeGguf({"general.architecture": gguf.str("controlvector")}, directionTensors(vector, GgmlTensorType.F16)));
    writeFileSync(files.f16AsF32, encodeControlVector(await loadControlVector(files.f16)));
    writeFileSync(files.scored, encodeControlVector({...vector, quality: SCORED_QUALITY}));
    return files;
}

/** each recorded llama-completion run: its name in the fixture and the steering arguments it adds */
export const INTEROP_RUNS: {name: string, args: (files: InteropFiles) => string[]}[] = [
    {name: "unsteered", args: () => []},
    {name: "beyond", args: (f) => ["--control-vector-scaled", `${f.beyond}:1`]},
    {name: "arch", args: (f) => ["--control-vector-scaled", `${f.arch}:1`]},
    {name: "layersFrom0", args: (f) => ["--control-vector-scaled", `${f.happy}:3`, "--control-vector-layer-range", "0", "3"]},
    {name: "f16", args: (f) => ["--control-vector-scaled", `${f.f16}:1`]},
    {name: "scored", args: (f) => ["--control-vector-scaled", `${f.scored}:1`]}
];

/** llama-completion's arguments before the steering ones (greedy, the prompt alone on stdout) */
export const completionArgs = (model: string) => ["-m", model, "--temp", "0", "-no-cnv", "--no-display-prompt", "--no-warmup",
    "-p", INTEROP_PROMPT.prompt, "-n", String(INTEROP_PROMPT.maxTokens)];

export type InteropFixture = {
    generatedBy: string,
    /** what `llama-completion --version` said, and the llama.cpp release node-llama-cpp bundles */
    llamaCpp: {version: string, bundledRelease: string},
    model: string,
    runs: {name: string, command: string[], text: string}[]
};
