/**
 * llama.cpp control vectors in memory, and their GGUF file format (as written by llama.cpp's cvector-generator and
 * repeng's export_gguf): `general.architecture = controlvector`, one 1-D F32 tensor `direction.N` per layer N >= 1.
 * Pure: validation works on already-read metadata, tensor infos and bytes, so it is fuzzed without llama.cpp.
 */
import {displayText} from "../engine/displayText.js";
import {gguf, GgufTensor, writeGguf} from "../gguf/ggufWriter.js";
import {parseQualityMetadata, qualityMetadata, type VectorQuality} from "./vectorQuality.js";

export type ControlVector = {
    /** the hidden size each direction has */
    nEmbd: number,
    /** layer index (1-based, as llama.cpp numbers them) -> direction */
    directions: Map<number, Float32Array>,
    /** the model the vector was made for, if the file says (controlvector.model_hint) */
    modelHint?: string,
    /** the held-out quality score `steer-chat train` stored (steer-chat.quality.*), if any */
    quality?: VectorQuality
};

export class ControlVectorFormatError extends Error {
    constructor(readonly file: string, problem: string) {
        super(`Bad control vector ${file}: ${problem}`);
        this.name = "ControlVectorFormatError";
    }
}

export type TensorRecord = {name: string, dimensions: readonly (number | bigint)[], ggmlType: number, fileOffset: number | bigint};

const GGML_TYPE_F32 = 0;
const DIRECTION_NAME = /^direction\.(\d+)$/;

/**
 * Builds a ControlVector from a GGUF's metadata and tensor infos, reading each tensor's bytes with `read`.
 * Mirrors llama.cpp's common_control_vector_load_one checks, plus ones it lacks (finite values, sizes within the file).
 */
export function parseControlVector(file: string, metadata: Record<string, unknown>, tensors: readonly TensorRecord[],
    read: (offset: number, byteLength: number) => Uint8Array, fileSize: number): ControlVector {
    const fail = (problem: string) => new ControlVectorFormatError(file, problem);
    const architecture = (metadata.general as {architecture?: unknown} | undefined)?.architecture;
    if (architecture != null && architecture !== "controlvector")
        throw fail(`it is a "${displayText(String(architecture), 64)}" GGUF, not a control vector (general.architecture should be "controlvector")`);
    const directionTensors = tensors.filter((t) => t.name.startsWith("direction."));
    if (directionTensors.length === 0) throw fail("it has no direction.N tensors");

    let nEmbd = -1;
    const directions = new Map<number, Float32Array>();
    for (const tensor of tensors) {
        const match = DIRECTION_NAME.exec(tensor.name);
        if (match == null) throw fail(`unexpected tensor "${displayText(tensor.name, 64)}" (only direction.N tensors belong in a control vector)`);
        const layer = Number(match[1]);
        if (layer === 0) throw fail("direction.0 is not allowed (llama.cpp never steers layer 0)");
        if (tensor.ggmlType !== GGML_TYPE_F32) throw fail(`${tensor.name} is not F32`);
        if (tensor.dimensions.length !== 1) throw fail(`${tensor.name} is not 1-D`);
        const length = Number(tensor.dimensions[0]);
        if (!Number.isSafeInteger(length) || length <= 0) throw fail(`${tensor.name} has an invalid length`);
        if (nEmbd === -1) nEmbd = length;
        else if (length !== nEmbd) throw fail(`${tensor.name} has ${length} values but earlier directions have ${nEmbd}`);
        const offset = Number(tensor.fileOffset);
        const byteLength = length * 4;
        if (!Number.isSafeInteger(offset) || offset < 0 || offset + byteLength > fileSize)
            throw fail(`${tensor.name} runs past the end of the file (truncated?)`);
        const bytes = read(offset, byteLength);
        if (bytes.byteLength !== byteLength) throw fail(`${tensor.name} could not be read in full (truncated?)`);
        const values = new Float32Array(length);
        new Uint8Array(values.buffer).set(bytes);
        const bad = values.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0) throw fail(`${tensor.name} holds ${values[bad]} at index ${bad} (NaN/Inf values are not allowed)`);
        // llama.cpp sums repeated directions for the same layer within one file
        const existing = directions.get(layer);
        if (existing) for (let i = 0; i < length; i++) existing[i] = Math.fround(existing[i]! + values[i]!);
        else directions.set(layer, values);
    }
    const hint = (metadata.controlvector as {model_hint?: unknown} | undefined)?.model_hint;
    const quality = parseQualityMetadata(metadata);
    return {nEmbd, directions, modelHint: typeof hint === "string" ? hint : undefined, ...(quality && {quality})};
}

/** A model hint as shown in messages and listings: it comes from the file, so it is bounded and escaped. */
export function shownModelHint(hint: string): string {
    return displayText(hint, 80);
}

/** The highest layer a vector has a direction for (0 for none). */
export function topLayer(vector: ControlVector): number {
    return layerSpan(vector)?.last ?? 0;
}

/**
 * The lowest and highest layers a vector has directions for (undefined for none). A loop, not Math.max(...keys):
 * spreading a file's 140k directions into one call overflows the stack.
 */
export function layerSpan(vector: ControlVector): {first: number, last: number} | undefined {
    let span: {first: number, last: number} | undefined;
    for (const layer of vector.directions.keys())
        span = span ? {first: Math.min(span.first, layer), last: Math.max(span.last, layer)} : {first: layer, last: layer};
    return span;
}

/** Serialises a control vector in llama.cpp's format (what cvector-generator writes). */
export function encodeControlVector(vector: ControlVector): Buffer {
    const layers = [...vector.directions.keys()].sort((a, b) => a - b);
    const tensors: GgufTensor[] = layers.map((layer) => ({name: `direction.${layer}`, dims: [vector.nEmbd], data: vector.directions.get(layer)!}));
    return writeGguf({
        "general.architecture": gguf.str("controlvector"),
        "controlvector.model_hint": gguf.str(vector.modelHint ?? ""),
        "controlvector.layer_count": gguf.i32(layers.length),
        ...(vector.quality && qualityMetadata(vector.quality))
    }, tensors);
}
