/**
 * Changes a GGUF model's metadata while keeping its tensors byte for byte: the crafted-model tests take a real model
 * (stories260K or a synthetic one) and set, replace or drop one key. Its own small parser, independent of the code
 * under test.
 */
import {encodeGgufKeyValue, type GgufValue} from "../../src/gguf/ggufWriter.js";

const SIZES: Record<number, number> = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8};

type Entry = {key: string, bytes: Buffer, type: number, value?: number};

function parse(bytes: Buffer) {
    let at = 24;
    const str = () => {
        const len = Number(bytes.readBigUInt64LE(at));
        const s = bytes.toString("utf8", at + 8, at + 8 + len);
        at += 8 + len;
        return s;
    };
    const skipValue = (type: number) => {
        if (type === 8) { str(); return; }
        if (type === 9) {
            const itemType = bytes.readUInt32LE(at);
            const count = Number(bytes.readBigUInt64LE(at + 4));
            at += 12;
            if (itemType === 8) for (let i = 0; i < count; i++) str();
            else at += count * SIZES[itemType]!;
            return;
        }
        at += SIZES[type]!;
    };
    const tensorCount = Number(bytes.readBigUInt64LE(8));
    const kvCount = Number(bytes.readBigUInt64LE(16));
    const entries: Entry[] = [];
    for (let i = 0; i < kvCount; i++) {
        const start = at;
        const key = str();
        const type = bytes.readUInt32LE(at);
        at += 4;
        const value = type === 4 ? bytes.readUInt32LE(at) : undefined;
        skipValue(type);
        entries.push({key, bytes: bytes.subarray(start, at), type, value});
    }
    const infoStart = at;
    for (let i = 0; i < tensorCount; i++) {
        str();
        const nDims = bytes.readUInt32LE(at);
        at += 4 + nDims * 8 + 4 + 8;
    }
    const alignment = entries.find((e) => e.key === "general.alignment")?.value ?? 32;
    const dataStart = Math.ceil(at / alignment) * alignment;
    return {tensorCount, entries, tensorInfos: bytes.subarray(infoStart, at), data: bytes.subarray(dataStart), alignment};
}

/** The model with each key in `edits` set to its value (added at the end when new), or removed when null. */
export function editGgufMetadata(bytes: Buffer, edits: Record<string, GgufValue | null>,
    /** prepend: raw key/values (encodeGgufKeyValue) placed before all others, for keys a Record cannot hold */
    {prepend = []}: {prepend?: Buffer[]} = {}): Buffer {
    const {tensorCount, entries, tensorInfos, data, alignment} = parse(bytes);
    const kvs: Buffer[] = [...prepend];
    const done = new Set<string>();
    for (const e of entries) {
        if (!(e.key in edits)) kvs.push(e.bytes);
        else if (edits[e.key] != null) kvs.push(encodeGgufKeyValue(e.key, edits[e.key]!));
        done.add(e.key);
    }
    for (const [key, value] of Object.entries(edits)) if (!done.has(key) && value != null) kvs.push(encodeGgufKeyValue(key, value));
    const head = Buffer.alloc(24);
    head.write("GGUF", 0, "ascii");
    head.writeUInt32LE(3, 4);
    head.writeBigUInt64LE(BigInt(tensorCount), 8);
    head.writeBigUInt64LE(BigInt(kvs.length), 16);
    const header = Buffer.concat([head, ...kvs, tensorInfos]);
    const newAlignment = edits["general.alignment"] === undefined ? alignment : 32;
    const padding = Buffer.alloc((newAlignment - (header.length % newAlignment)) % newAlignment);
    return Buffer.concat([header, padding, data]);
}

/** The model with the ggml type of tensor `name` set to `type` (the same size per element: F32 to I32, say). */
export function setTensorType(bytes: Buffer, name: string, type: number): Buffer {
    const {tensorInfos} = parse(bytes);
    const out = Buffer.from(bytes);
    const infoStart = tensorInfos.byteOffset - bytes.byteOffset;
    let at = 0;
    while (at < tensorInfos.length) {
        const len = Number(tensorInfos.readBigUInt64LE(at));
        const tensorName = tensorInfos.toString("utf8", at + 8, at + 8 + len);
        at += 8 + len;
        const nDims = tensorInfos.readUInt32LE(at);
        at += 4 + nDims * 8;
        if (tensorName === name) {
            out.writeUInt32LE(type, infoStart + at);
            return out;
        }
        at += 4 + 8;
    }
    throw new Error(`no tensor ${name}`);
}

/** The names of a GGUF's metadata keys, in file order. */
export function ggufMetadataKeys(bytes: Buffer): string[] {
    return parse(bytes).entries.map((e) => e.key);
}
