/** Shared bits for steering tests: temp files, the synthetic model, vectors and reading tensors back. */
import {writeFileSync, readFileSync} from "node:fs";
import path from "node:path";
import {readGgufFileInfo} from "node-llama-cpp";
import {buildSyntheticLlama, type SyntheticLlamaOptions} from "../../tooling/syntheticLlama.js";
import {encodeControlVector, type ControlVector} from "../../src/steering/controlVector.js";

import {repoRoot, storiesModelPath, tempDir} from "./tinyModel.js";

// temp folders come from tinyModel's tempDir, which removes them after each test file
export {repoRoot, tempDir};
export const storiesModel = storiesModelPath;
export const fixtureVectors = path.join(repoRoot, "test", "fixtures", "vectors");

export function writeSyntheticModel(options: SyntheticLlamaOptions = {}): string {
    const file = path.join(tempDir(), "synthetic.gguf");
    writeFileSync(file, buildSyntheticLlama(options));
    return file;
}

export function writeVector(vector: ControlVector, name = "vec.gguf", dir = tempDir()): string {
    const file = path.join(dir, name);
    writeFileSync(file, encodeControlVector(vector));
    return file;
}

export function vectorOf(nEmbd: number, layers: number[], fill: (layer: number, i: number) => number): ControlVector {
    return {nEmbd, directions: new Map(layers.map((l) => [l, Float32Array.from({length: nEmbd}, (_, i) => fill(l, i))]))};
}

/** Reads an F32 tensor back from a GGUF file at its fileOffset. */
export async function readTensor(file: string, name: string): Promise<{dims: number[], data: Float32Array}> {
    const info = await readGgufFileInfo(file, {logWarnings: false});
    const tensor = info.tensorInfo!.find((t) => t.name === name)!;
    const dims = tensor.dimensions.map(Number);
    const count = dims.reduce((a, b) => a * b, 1);
    const bytes = readFileSync(file).subarray(Number(tensor.fileOffset), Number(tensor.fileOffset) + count * 4);
    return {dims, data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))};
}
