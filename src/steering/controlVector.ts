/**
 * llama.cpp control vectors in memory, and their GGUF file format (as written by llama.cpp's cvector-generator and
 * repeng's export_gguf): `general.architecture = controlvector`, one 1-D F32 tensor `direction.N` per layer N >= 1.
 * Pure: validation works on already-read metadata, tensor infos and bytes, so it is fuzzed without llama.cpp.
 */
import {displayText} from "../displayText.js";
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
    quality?: VectorQuality,
    /** what loading the file found worth telling the user (F16 directions converted, another general.architecture) */
    warnings?: string[]
};

export class ControlVectorFormatError extends Error {
    constructor(readonly file: string, problem: string) {
        super(`Bad control vector ${file}: ${problem}`);
        this.name = "ControlVectorFormatError";
    }
}

export type TensorRecord = {name: string, dimensions: readonly (number | bigint)[], ggmlType: number, fileOffset: number | bigint};

const GGML_TYPE_F32 = 0;
const GGML_TYPE_F16 = 1;
const DIRECTION_NAME = /^direction\.(\d+)$/;

/** IEEE half-precision bits as a number (exact: every half is a float32) */
function halfToFloat(h: number): number {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) return sign * fraction * 2 ** -24;
    if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
    return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function directionValues(bytes: Uint8Array, length: number, ggmlType: number): Float32Array {
    const values = new Float32Array(length);
    if (ggmlType === GGML_TYPE_F32) {
        new Uint8Array(values.buffer).set(bytes);
    } else {
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        for (let i = 0; i < length; i++) values[i] = halfToFloat(view.getUint16(i * 2, true));
    }
    return values;
}

/**
 * Builds a ControlVector from a GGUF's metadata and tensor infos, reading each tensor's bytes with `read`.
 * Mirrors llama.cpp's common_control_vector_load_one checks, plus ones it lacks (finite values, sizes within the file).
 * Like llama.cpp it does not insist on general.architecture = controlvector when every tensor is a direction (it
 * warns instead); unlike llama.cpp it converts F16 directions to F32 (with a warning) rather than ignoring the file.
 */
export function parseControlVector(file: string, metadata: Record<string, unknown>, tensors: readonly TensorRecord[],
    read: (offset: number, byteLength: number) => Uint8Array, fileSize: number): ControlVector {
    const fail = (problem: string) => new ControlVectorFormatError(file, problem);
    const warnings: string[] = [];
    const architecture = (metadata.general as {architecture?: unknown} | undefined)?.architecture;
    if (architecture != null && architecture !== "controlvector") {
        const shown = displayText(String(architecture), 64);
        if (tensors.some((t) => !DIRECTION_NAME.test(t.name)))
            throw fail(`it is a "${shown}" GGUF, not a control vector (general.architecture should be "controlvector")`);
        warnings.push(`its general.architecture is "${shown}", not "controlvector"; its direction.N tensors are used as llama.cpp uses them`);
    }
    const directionTensors = tensors.filter((t) => t.name.startsWith("direction."));
    if (directionTensors.length === 0) throw fail("it has no direction.N tensors");

    let nEmbd = -1;
    const directions = new Map<number, Float32Array>();
    for (const tensor of tensors) {
        const match = DIRECTION_NAME.exec(tensor.name);
        if (match == null) throw fail(`unexpected tensor "${displayText(tensor.name, 64)}" (only direction.N tensors belong in a control vector)`);
        const layer = Number(match[1]);
        if (layer === 0) throw fail("direction.0 is not allowed (llama.cpp never steers layer 0)");
        if (tensor.ggmlType !== GGML_TYPE_F32 && tensor.ggmlType !== GGML_TYPE_F16) throw fail(`${tensor.name} is neither F32 nor F16`);
        if (tensor.dimensions.length !== 1) throw fail(`${tensor.name} is not 1-D`);
        const length = Number(tensor.dimensions[0]);
        if (!Number.isSafeInteger(length) || length <= 0) throw fail(`${tensor.name} has an invalid length`);
        if (nEmbd === -1) nEmbd = length;
        else if (length !== nEmbd) throw fail(`${tensor.name} has ${length} values but earlier directions have ${nEmbd}`);
        const offset = Number(tensor.fileOffset);
        const byteLength = length * (tensor.ggmlType === GGML_TYPE_F16 ? 2 : 4);
        if (!Number.isSafeInteger(offset) || offset < 0 || offset + byteLength > fileSize)
            throw fail(`${tensor.name} runs past the end of the file (truncated?)`);
        const bytes = read(offset, byteLength);
        if (bytes.byteLength !== byteLength) throw fail(`${tensor.name} could not be read in full (truncated?)`);
        const values = directionValues(bytes, length, tensor.ggmlType);
        const bad = values.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0) throw fail(`${tensor.name} holds ${values[bad]} at index ${bad} (NaN/Inf values are not allowed)`);
        // llama.cpp sums repeated directions for the same layer within one file
        const existing = directions.get(layer);
        if (existing) for (let i = 0; i < length; i++) existing[i] = Math.fround(existing[i]! + values[i]!);
        else directions.set(layer, values);
    }
    if (tensors.some((t) => t.ggmlType === GGML_TYPE_F16))
        warnings.push("its directions are F16 and were converted to F32 (llama.cpp's own loader takes only F32 and would ignore this file)");
    const hint = (metadata.controlvector as {model_hint?: unknown} | undefined)?.model_hint;
    const quality = parseQualityMetadata(metadata);
    return {nEmbd, directions, modelHint: typeof hint === "string" ? hint : undefined, ...(quality && {quality}), ...(warnings.length > 0 ? {warnings} : {})};
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
