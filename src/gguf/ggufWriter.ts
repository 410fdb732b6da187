/**
 * A minimal GGUF (v3) writer: metadata key/values plus F32 tensors.
 * Used for llama.cpp control-vector files and for the tiny test models. Pure: no I/O besides the returned buffer.
 * Layout reference: ggml's gguf.cpp (header, KV pairs, tensor infos, padding, aligned tensor data).
 */

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

export enum GgufValueType {
    UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
    STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12
}

/** ggml tensor types this writer can emit. */
export enum GgmlTensorType {F32 = 0, F16 = 1}

export type GgufScalarValue =
    | {type: GgufValueType.STRING, value: string}
    | {type: GgufValueType.UINT32 | GgufValueType.INT32 | GgufValueType.FLOAT32 | GgufValueType.UINT8
        | GgufValueType.INT8 | GgufValueType.UINT16 | GgufValueType.INT16 | GgufValueType.FLOAT64, value: number}
    | {type: GgufValueType.UINT64 | GgufValueType.INT64, value: bigint}
    | {type: GgufValueType.BOOL, value: boolean};

export type GgufValue = GgufScalarValue
    | {type: GgufValueType.ARRAY, itemType: GgufValueType.STRING, value: string[]}
    | {type: GgufValueType.ARRAY, itemType: Exclude<GgufValueType, GgufValueType.STRING | GgufValueType.ARRAY | GgufValueType.UINT64
        | GgufValueType.INT64 | GgufValueType.BOOL>, value: number[]};

export type GgufTensor = {
    name: string,
    /** ggml order: dims[0] is the fastest-varying (row length). */
    dims: number[],
    data: Float32Array,
    /** F32 unless given; F16 stores each value rounded to the nearest half */
    type?: GgmlTensorType
};

/** Convenience constructors so call sites stay readable. */
export const gguf = {
    str: (value: string): GgufValue => ({type: GgufValueType.STRING, value}),
    u32: (value: number): GgufValue => ({type: GgufValueType.UINT32, value}),
    i32: (value: number): GgufValue => ({type: GgufValueType.INT32, value}),
    f32: (value: number): GgufValue => ({type: GgufValueType.FLOAT32, value}),
    bool: (value: boolean): GgufValue => ({type: GgufValueType.BOOL, value}),
    strArr: (value: string[]): GgufValue => ({type: GgufValueType.ARRAY, itemType: GgufValueType.STRING, value}),
    f32Arr: (value: number[]): GgufValue => ({type: GgufValueType.ARRAY, itemType: GgufValueType.FLOAT32, value}),
    i32Arr: (value: number[]): GgufValue => ({type: GgufValueType.ARRAY, itemType: GgufValueType.INT32, value})
};

class ByteSink {
    private chunks: Buffer[] = [];
    length = 0;

    push(buf: Buffer) {
        this.chunks.push(buf);
        this.length += buf.length;
    }

    u32(v: number) { const b = Buffer.alloc(4); b.writeUInt32LE(v); this.push(b); }
    u64(v: number | bigint) { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); this.push(b); }
    string(s: string) { const bytes = Buffer.from(s, "utf8"); this.u64(bytes.length); this.push(bytes); }
    padTo(alignment: number) {
        const pad = (alignment - (this.length % alignment)) % alignment;
        if (pad > 0) this.push(Buffer.alloc(pad));
    }
    concat() { return Buffer.concat(this.chunks, this.length); }
}

function scalarBytes(type: GgufValueType, value: number | bigint | boolean | string): Buffer {
    let b: Buffer;
    switch (type) {
        case GgufValueType.UINT8: b = Buffer.alloc(1); b.writeUInt8(value as number); return b;
        case GgufValueType.INT8: b = Buffer.alloc(1); b.writeInt8(value as number); return b;
        case GgufValueType.UINT16: b = Buffer.alloc(2); b.writeUInt16LE(value as number); return b;
        case GgufValueType.INT16: b = Buffer.alloc(2); b.writeInt16LE(value as number); return b;
        case GgufValueType.UINT32: b = Buffer.alloc(4); b.writeUInt32LE(value as number); return b;
        case GgufValueType.INT32: b = Buffer.alloc(4); b.writeInt32LE(value as number); return b;
        case GgufValueType.FLOAT32: b = Buffer.alloc(4); b.writeFloatLE(value as number); return b;
        case GgufValueType.FLOAT64: b = Buffer.alloc(8); b.writeDoubleLE(value as number); return b;
        case GgufValueType.UINT64: b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(value as bigint)); return b;
        case GgufValueType.INT64: b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(value as bigint)); return b;
        case GgufValueType.BOOL: return Buffer.from([value ? 1 : 0]);
        case GgufValueType.STRING: {
            const s = new ByteSink();
            s.string(value as string);
            return s.concat();
        }
        default: throw new Error(`GGUF value type ${type} is not a scalar`);
    }
}

/** One metadata key/value as it sits in a GGUF header (key string, value type, value). */
export function encodeGgufKeyValue(key: string, v: GgufValue): Buffer {
    const out = new ByteSink();
    out.string(key);
    out.u32(v.type);
    if (v.type === GgufValueType.ARRAY) {
        out.u32(v.itemType);
        out.u64(v.value.length);
        for (const item of v.value) out.push(scalarBytes(v.itemType, item));
    } else {
        out.push(scalarBytes(v.type, v.value));
    }
    return out.concat();
}

/** The IEEE half-precision bits nearest to `value` (ties to even), as ggml's fp32-to-fp16 conversion gives. */
export function floatToHalfBits(value: number): number {
    const bits = new Uint32Array(new Float32Array([value]).buffer)[0]!;
    const sign = (bits >>> 16) & 0x8000;
    const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
    let mantissa = bits & 0x7fffff;
    if (((bits >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
    if (exponent >= 0x1f) return sign | 0x7c00;
    let shift = 13;
    let half = (Math.max(exponent, 0) << 10);
    if (exponent <= 0) {
        if (exponent < -10) return sign;
        mantissa |= 0x800000;
        shift = 14 - exponent;
    }
    half |= mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1) !== 0)) half++; // a carry into the exponent is right
    return sign | half;
}

function tensorBytes(t: GgufTensor): Buffer {
    if ((t.type ?? GgmlTensorType.F32) === GgmlTensorType.F32) return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const halves = Buffer.alloc(t.data.length * 2);
    t.data.forEach((v, i) => halves.writeUInt16LE(floatToHalfBits(v), i * 2));
    return halves;
}

/** Serialises metadata and F32 (or F16) tensors into one GGUF v3 file image. */
export function writeGguf(metadata: Record<string, GgufValue>, tensors: GgufTensor[] = [],
    {alignment = GGUF_DEFAULT_ALIGNMENT}: {alignment?: number} = {}): Buffer {
    if (alignment !== GGUF_DEFAULT_ALIGNMENT && metadata["general.alignment"] == null)
        metadata = {...metadata, "general.alignment": gguf.u32(alignment)}; // readers assume 32 unless told
    const out = new ByteSink();
    out.u32(GGUF_MAGIC);
    out.u32(GGUF_VERSION);
    out.u64(tensors.length);
    out.u64(Object.keys(metadata).length);

    for (const [key, v] of Object.entries(metadata)) out.push(encodeGgufKeyValue(key, v));

    let dataOffset = 0;
    const offsets: number[] = [];
    for (const t of tensors) {
        const expected = t.dims.reduce((a, b) => a * b, 1);
        if (expected !== t.data.length)
            throw new Error(`Tensor "${t.name}": dims ${t.dims.join("x")} need ${expected} values, got ${t.data.length}`);
        offsets.push(dataOffset);
        dataOffset += tensorBytes(t).byteLength;
        dataOffset += (alignment - (dataOffset % alignment)) % alignment;
    }
    tensors.forEach((t, i) => {
        out.string(t.name);
        out.u32(t.dims.length);
        for (const d of t.dims) out.u64(d);
        out.u32(t.type ?? GgmlTensorType.F32);
        out.u64(offsets[i]!);
    });
    out.padTo(alignment);

    for (const t of tensors) {
        out.push(tensorBytes(t));
        out.padTo(alignment);
    }
    return out.concat();
}
