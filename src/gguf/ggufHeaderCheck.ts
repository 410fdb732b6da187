/**
 * A bounded walk over a GGUF header (KV pairs and tensor infos) that checks every length and count against the bytes
 * that remain in the file before reading on. node-llama-cpp's readGgufFileInfo trusts these numbers (a corrupt
 * n_dims of 5 million makes it read 5 million phantom dims past the end), so untrusted files pass through this first.
 * The walk reads through a ByteSource in small windows, so a header of any size is checked without holding it in
 * memory, and it keeps the metadata values later checks need (scalars, short strings, short numeric arrays). Pure.
 */
const SCALAR_SIZES: Record<number, number> = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8};
const TYPE_BOOL = 7;
const TYPE_STRING = 8;
const TYPE_ARRAY = 9;
const MAX_DIMS = 4; // GGML_MAX_DIMS
const MAX_TENSOR_NAME_BYTES = 63; // GGML_MAX_NAME - 1: llama.cpp refuses longer names
/** strings longer than this are walked over, and kept only as their length */
const MAX_KEPT_STRING_BYTES = 4096;
/** numeric arrays up to this many items are kept (per-layer values: at most 512 layers) */
const MAX_KEPT_ARRAY_ITEMS = 1024;
const WINDOW_BYTES = 1 << 20;
/**
 * The vocabulary (tokenizer.ggml.tokens and the tokenizer's per-token arrays) is kept whole up to this many tokens, so
 * it can be checked as llama-vocab.cpp reads it; the largest real vocabularies have about 260,000.
 */
export const MAX_KEPT_VOCABULARY = 1 << 22;
/** the keys whose values are kept whole up to MAX_KEPT_VOCABULARY items */
const VOCABULARY_KEYS = new Set(["tokenizer.ggml.tokens", "tokenizer.ggml.token_type"]);

/** Random access to the bytes of a file (or a buffer): `read` returns fewer bytes only at the end. */
export type ByteSource = {readonly size: number, read(offset: number, length: number): Uint8Array};

export function bytesSource(bytes: Uint8Array): ByteSource {
    return {size: bytes.byteLength, read: (offset, length) => bytes.subarray(offset, offset + length)};
}

export type GgufMetadataValue =
    | {kind: "number", ggufType: number, value: number}
    | {kind: "bool", value: boolean}
    /** `value` is the whole string when `complete`, else its start */
    | {kind: "string", value: string, byteLength: number, complete: boolean}
    /**
     * `items` holds the values of a numeric array of at most MAX_KEPT_ARRAY_ITEMS; `strings` the tokens of the
     * vocabulary (tokenizer.ggml.tokens), each as llama.cpp reads it: its bytes up to the first NUL, one char per
     * byte (latin1); undefined for a token longer than 4096 bytes
     */
    | {kind: "array", itemType: number, length: number, items?: number[], strings?: (string | undefined)[]};

export type GgufTensorInfo = {
    name: string,
    /** ne[0], ne[1], ...: ne[0] is the row length */
    dims: number[],
    /** the ggml type (0 F32, 1 F16, 26 I32, ...) */
    type: number,
    /** from the start of the data section */
    offset: number
};

export type GgufHeader = {
    version: number,
    metadata: Map<string, GgufMetadataValue>,
    tensors: GgufTensorInfo[],
    /** where the data section starts: the end of the tensor infos, padded to general.alignment */
    dataStart: number
};

export type GgufHeaderResult = {header: GgufHeader, problem?: undefined} | {header?: undefined, problem: string};

/** a string as llama.cpp's C code sees it (gguf_get_val_str, gguf_get_arr_str, strcmp): up to its first NUL byte */
export function cString(value: string): string {
    const nul = value.indexOf("\0");
    return nul < 0 ? value : value.slice(0, nul);
}

/** a key or text from the file, quoted and escaped for a message (an empty one shows as "") */
export function quoted(value: string, max = 80): string {
    const text = JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
    return text;
}

class Truncated extends Error {}
class Malformed extends Error {}

/** Reads forward through a ByteSource, refusing any read or skip that would pass the end of the file. */
class Cursor {
    at = 0;
    private window: Uint8Array = new Uint8Array(0);
    private windowStart = 0;

    constructor(private readonly source: ByteSource) {}

    need(n: number | bigint) {
        if (typeof n === "number" && Number.isSafeInteger(n) && n >= 0) {
            if (this.at + n > this.source.size) throw new Truncated();
        } else if (BigInt(this.at) + BigInt(n) > BigInt(this.source.size)) {
            throw new Truncated();
        }
    }

    skip(n: number | bigint) {
        this.need(n);
        this.at += Number(n);
    }

    bytes(n: number): Uint8Array {
        this.need(n);
        const offset = this.at - this.windowStart;
        if (offset < 0 || offset + n > this.window.byteLength) {
            this.window = this.source.read(this.at, Math.max(n, Math.min(WINDOW_BYTES, this.source.size - this.at)));
            this.windowStart = this.at;
            if (this.window.byteLength < n) throw new Truncated();
        }
        const start = this.at - this.windowStart;
        this.at += n;
        return this.window.subarray(start, start + n);
    }

    view(n: number): DataView {
        const b = this.bytes(n);
        return new DataView(b.buffer, b.byteOffset, b.byteLength);
    }

    u32() { return this.view(4).getUint32(0, true); }
    u64() { return this.view(8).getBigUint64(0, true); }

    /** a GGUF string: the whole text up to `keep` bytes, else only its length (its bytes are skipped) */
    string(keep: number): {value: string, byteLength: number, complete: boolean} {
        const length = this.u64();
        this.need(length);
        const byteLength = Number(length);
        if (byteLength <= keep) return {value: new TextDecoder().decode(this.bytes(byteLength)), byteLength, complete: true};
        const start = new TextDecoder().decode(this.bytes(Math.min(keep, 256)));
        this.skip(byteLength - Math.min(keep, 256));
        return {value: start, byteLength, complete: false};
    }

    /**
     * a vocabulary token as llama.cpp keeps it: its bytes up to the first NUL, one char per byte (latin1, so two
     * tokens are equal exactly when their bytes are); a token longer than `keep` bytes is kept as undefined
     */
    token(keep: number): string | undefined {
        const length = this.u64();
        this.need(length);
        if (length > BigInt(keep)) {
            this.skip(length);
            return undefined;
        }
        return cString(Buffer.from(this.bytes(Number(length))).toString("latin1"));
    }

    scalar(type: number): number | boolean {
        const size = SCALAR_SIZES[type]!;
        const v = this.view(size);
        switch (type) {
            case 0: return v.getUint8(0);
            case 1: return v.getInt8(0);
            case 2: return v.getUint16(0, true);
            case 3: return v.getInt16(0, true);
            case 4: return v.getUint32(0, true);
            case 5: return v.getInt32(0, true);
            case 6: return v.getFloat32(0, true);
            case TYPE_BOOL: return v.getUint8(0) !== 0;
            case 10: return Number(v.getBigUint64(0, true));
            case 11: return Number(v.getBigInt64(0, true));
            default: return v.getFloat64(0, true);
        }
    }
}

function readValue(cursor: Cursor, type: number, key: string): GgufMetadataValue {
    if (type === TYPE_STRING) {
        // llama.cpp reads a string value as a C string: "llama\0anything" is the architecture "llama"
        const s = cursor.string(MAX_KEPT_STRING_BYTES);
        const value = cString(s.value);
        return {kind: "string", ...s, value, complete: s.complete || value.length < s.value.length};
    }
    const keepAll = VOCABULARY_KEYS.has(key);
    if (type === TYPE_ARRAY) {
        const itemType = cursor.u32();
        const count = cursor.u64();
        if (itemType === TYPE_ARRAY) throw new Malformed(`it has nested metadata arrays (${key})`);
        if (itemType === TYPE_STRING) {
            cursor.need(count * 8n); // each string needs at least its length field
            if (keepAll && count <= BigInt(MAX_KEPT_VOCABULARY)) {
                const strings = Array.from({length: Number(count)}, () => cursor.token(MAX_KEPT_STRING_BYTES));
                return {kind: "array", itemType, length: Number(count), strings};
            }
            for (let i = 0n; i < count; i++) cursor.string(0);
            return {kind: "array", itemType, length: Number(count)};
        }
        const size = SCALAR_SIZES[itemType];
        if (size == null) throw new Malformed(`it has a metadata array of unknown type ${itemType} (${key})`);
        cursor.need(count * BigInt(size));
        const length = Number(count);
        if (length > (keepAll ? MAX_KEPT_VOCABULARY : MAX_KEPT_ARRAY_ITEMS)) {
            cursor.skip(length * size);
            return {kind: "array", itemType, length};
        }
        const items = Array.from({length}, () => Number(cursor.scalar(itemType)));
        return {kind: "array", itemType, length, items};
    }
    if (SCALAR_SIZES[type] == null) throw new Malformed(`it has a metadata value of unknown type ${type} (${key})`);
    const value = cursor.scalar(type);
    return typeof value === "boolean" ? {kind: "bool", value} : {kind: "number", ggufType: type, value};
}

function readTensorInfo(cursor: Cursor): GgufTensorInfo {
    const name = cursor.string(MAX_TENSOR_NAME_BYTES);
    if (!name.complete) throw new Malformed(`a tensor name is ${name.byteLength} bytes long (llama.cpp allows at most ${MAX_TENSOR_NAME_BYTES})`);
    const nDims = cursor.u32();
    if (nDims === 0 || nDims > MAX_DIMS) throw new Malformed(`a tensor has ${nDims} dimensions (at most ${MAX_DIMS} allowed)`);
    const dims = Array.from({length: nDims}, () => Number(cursor.u64()));
    const type = cursor.u32();
    return {name: name.value, dims, type, offset: Number(cursor.u64())};
}

/** ggml's gguf reader wants a u32 power of two (node-llama-cpp's reader fails on 0 with a raw BigInt error) */
function checkAlignment(value: GgufMetadataValue | undefined): string | undefined {
    if (value == null) return undefined;
    if (value.kind !== "number" || value.ggufType !== 4) return "its general.alignment is not a u32 number";
    if (value.value === 0 || (value.value & (value.value - 1)) !== 0) return `its general.alignment is ${value.value} (it must be a power of two)`;
    return undefined;
}

/**
 * Walks the whole header of a GGUF in `source`: what is wrong with it in `problem`, or the header's metadata and
 * tensor names. Nothing is read or skipped before it is checked to fit in the file.
 */
export function readGgufHeader(source: ByteSource): GgufHeaderResult {
    const cursor = new Cursor(source);
    try {
        if (cursor.u32() !== 0x46554747) return {problem: "it is not a GGUF file"};
        const version = cursor.u32();
        if (version !== 2 && version !== 3) return {problem: `it has unsupported GGUF version ${version}`};
        const tensorCount = cursor.u64();
        const kvCount = cursor.u64();
        // each key/value takes at least 13 bytes and each tensor info at least 28
        cursor.need(kvCount * 13n + tensorCount * 28n);
        const metadata = new Map<string, GgufMetadataValue>();
        for (let i = 0n; i < kvCount; i++) {
            const key = cursor.string(MAX_KEPT_STRING_BYTES);
            // llama.cpp finds a key with strcmp, so a key with a NUL byte would be read as its prefix (the first one
            // in the file wins): "llama.block_count\0x" placed first would stand in for llama.block_count unchecked
            if (key.value.includes("\0"))
                return {problem: `the metadata key ${quoted(key.value)} holds a NUL byte (llama.cpp would read it as ${quoted(cString(key.value))})`};
            const value = readValue(cursor, cursor.u32(), key.value);
            if (!key.complete) continue; // no key llama.cpp reads is this long
            if (metadata.has(key.value)) return {problem: `the metadata key ${quoted(key.value)} appears twice`};
            metadata.set(key.value, value);
        }
        const alignmentProblem = checkAlignment(metadata.get("general.alignment"));
        if (alignmentProblem) return {problem: alignmentProblem};
        const tensors: GgufTensorInfo[] = [];
        for (let i = 0n; i < tensorCount; i++) tensors.push(readTensorInfo(cursor));
        const alignment = metadata.get("general.alignment");
        const align = alignment?.kind === "number" ? alignment.value : 32;
        return {header: {version, metadata, tensors, dataStart: Math.ceil(cursor.at / align) * align}};
    } catch (err) {
        if (err instanceof Truncated) return {problem: "its header runs past the end of the file (truncated or corrupt?)"};
        if (err instanceof Malformed) return {problem: err.message};
        throw err;
    }
}

/** Returns what is wrong with the header of the GGUF in `bytes`, or undefined when every length fits in the file. */
export function checkGgufStructure(bytes: Uint8Array): string | undefined {
    return readGgufHeader(bytesSource(bytes)).problem;
}
