/**
 * writeGguf against an independent reader: node-llama-cpp's readGgufFileInfo must see the same metadata, the same
 * tensor infos, and the same float data at each tensor's file offset.
 */
import {readFileSync, writeFileSync} from "node:fs";
import path from "node:path";
import {GgmlType, readGgufFileInfo} from "node-llama-cpp";
import {describe, expect, it} from "vitest";
import {GGUF_DEFAULT_ALIGNMENT, gguf, GgufValueType, writeGguf, type GgufTensor, type GgufValue} from "../../src/gguf/ggufWriter.js";
import {checkGgufStructure} from "../../src/gguf/ggufHeaderCheck.js";
import {buildSyntheticLlama, syntheticVocab} from "../../tooling/syntheticLlama.js";
import {tempDir} from "../helpers/tinyModel.js";

const dir = tempDir("steer-gguf-");
let fileCount = 0;

async function roundTrip(metadata: Record<string, GgufValue>, tensors: GgufTensor[] = [], options?: {alignment?: number}) {
    const file = path.join(dir, `case-${fileCount++}.gguf`);
    const bytes = writeGguf(metadata, tensors, options);
    writeFileSync(file, bytes);
    const info = await readGgufFileInfo(file, {logWarnings: false});
    return {file, bytes, info};
}

/** the F32 values stored at a tensor's fileOffset */
function floatsAt(bytes: Buffer, fileOffset: number, count: number): Float32Array {
    const slice = bytes.subarray(fileOffset, fileOffset + count * 4);
    expect(slice.length).toBe(count * 4);
    return new Float32Array(slice.buffer.slice(slice.byteOffset, slice.byteOffset + slice.byteLength));
}

const elementCount = (dims: readonly (number | bigint)[]) => dims.reduce<number>((a, b) => a * Number(b), 1);

/** deterministic, non-trivial float data (exactly representable in f32 after Math.fround) */
function pattern(n: number, salt: number) {
    return Float32Array.from({length: n}, (_, i) => Math.fround(Math.sin(i * 1.7 + salt) * (i + 1) / 3));
}

describe("writeGguf round-trips through node-llama-cpp's readGgufFileInfo", () => {
    it("keeps metadata values of every kind: string, u32, i32, f32, bool, string/f32/i32 arrays and wider scalars", async () => {
        const {info} = await roundTrip({
            "general.architecture": gguf.str("llama"),
            "general.name": gguf.str("héllo wörld ✓"),
            "test.empty": gguf.str(""),
            "test.count": gguf.u32(4_000_000_000),
            "test.negative": gguf.i32(-123456),
            "test.scale": gguf.f32(0.25),
            "test.third": gguf.f32(1 / 3),
            "test.yes": gguf.bool(true),
            "test.no": gguf.bool(false),
            "test.words": gguf.strArr(["alpha", "", "ünïcode ▁piece", "<0x0A>"]),
            "test.floats": gguf.f32Arr([1.5, -2, 0.1, 1e-7]),
            "test.ints": gguf.i32Arr([-1, 0, 2147483647]),
            "test.u8": {type: GgufValueType.UINT8, value: 200},
            "test.i16": {type: GgufValueType.INT16, value: -300},
            "test.u64": {type: GgufValueType.UINT64, value: 2n ** 40n + 3n},
            "test.f64": {type: GgufValueType.FLOAT64, value: 0.1}
        });
        const m = info.metadata as unknown as Record<string, Record<string, unknown>>;
        expect(info.version).toBe(3);
        expect(m.general!.architecture).toBe("llama");
        expect(m.general!.name).toBe("héllo wörld ✓");
        const t = m.test!;
        expect(t.empty).toBe("");
        expect(t.count).toBe(4_000_000_000);
        expect(t.negative).toBe(-123456);
        expect(t.scale).toBe(0.25);
        expect(t.third).toBe(Math.fround(1 / 3));
        expect(t.yes).toBe(true);
        expect(t.no).toBe(false);
        expect(t.words).toEqual(["alpha", "", "ünïcode ▁piece", "<0x0A>"]);
        expect(t.floats).toEqual([1.5, -2, Math.fround(0.1), Math.fround(1e-7)]);
        expect(t.ints).toEqual([-1, 0, 2147483647]);
        expect(t.u8).toBe(200);
        expect(t.i16).toBe(-300);
        expect(BigInt(t.u64 as bigint)).toBe(2n ** 40n + 3n);
        expect(t.f64).toBe(0.1);
    });

    it("keeps tensor names, dims and type F32, and each tensor's data reads back from its fileOffset", async () => {
        const tensors: GgufTensor[] = [
            {name: "one.weight", dims: [3], data: pattern(3, 1)},               // 12 bytes: needs padding after it
            {name: "blk.0.attn_q.weight", dims: [5, 7], data: pattern(35, 2)},  // 140 bytes
            {name: "cube", dims: [2, 3, 4], data: pattern(24, 3)},
            {name: "exact", dims: [8], data: pattern(8, 4)}                       // 32 bytes: no padding
        ];
        const {bytes, info} = await roundTrip({"general.architecture": gguf.str("llama")}, tensors);
        expect(info.tensorCount).toBe(tensors.length);
        const read = info.tensorInfo!;
        expect(read.map((t) => t.name)).toEqual(tensors.map((t) => t.name));
        for (const [i, tensor] of tensors.entries()) {
            const r = read[i]!;
            expect(r.dimensions.map(Number)).toEqual(tensor.dims);
            expect(r.ggmlType).toBe(GgmlType.F32);
            expect(floatsAt(bytes, Number(r.fileOffset), elementCount(r.dimensions))).toEqual(tensor.data);
        }
        // the last tensor ends inside the file and the file ends on an alignment boundary
        const last = read.at(-1)!;
        expect(Number(last.fileOffset) + elementCount(last.dimensions) * 4).toBeLessThanOrEqual(bytes.length);
        expect(bytes.length % GGUF_DEFAULT_ALIGNMENT).toBe(0);
    });

    it("keeps awkward float values bit for bit (-0, denormal-range, large, pi) and passes the bounded header check", async () => {
        const data = Float32Array.from([Math.PI, -0, 1e-30, 65504, -3.4e38, Number.MIN_VALUE]);
        const {bytes, info} = await roundTrip({"general.architecture": gguf.str("llama")}, [{name: "odd.values", dims: [6], data}]);
        const back = floatsAt(bytes, Number(info.tensorInfo![0]!.fileOffset), 6);
        expect(Buffer.from(back.buffer).equals(Buffer.from(data.buffer))).toBe(true);
        expect(Object.is(back[1], -0)).toBe(true);
        expect(checkGgufStructure(bytes)).toBeUndefined();
    });

    it("aligns every tensor's data to 32 bytes (offsets within the data section and in the file)", async () => {
        const tensors: GgufTensor[] = [1, 3, 5, 9, 2, 17].map((n, i) => ({name: `t${i}`, dims: [n], data: pattern(n, i)}));
        const {bytes, info} = await roundTrip({"odd.key.length.x": gguf.str("abc")}, tensors);
        expect(GGUF_DEFAULT_ALIGNMENT).toBe(32);
        const read = info.tensorInfo!;
        let previousEnd = 0;
        for (const [i, r] of read.entries()) {
            expect(Number(r.offset) % 32).toBe(0);
            expect(Number(r.fileOffset) % 32).toBe(0);
            // tightly packed apart from padding: each tensor starts at the first boundary after the previous one
            expect(Number(r.offset)).toBe(Math.ceil(previousEnd / 32) * 32);
            previousEnd = Number(r.offset) + tensors[i]!.data.byteLength;
            expect(floatsAt(bytes, Number(r.fileOffset), tensors[i]!.data.length)).toEqual(tensors[i]!.data);
        }
    });

    it("writes a file with metadata only (no tensors)", async () => {
        const {info} = await roundTrip({"general.architecture": gguf.str("controlvector"), "controlvector.layer_count": gguf.u32(2)});
        expect(info.tensorCount).toBe(0);
        expect((info.metadata as unknown as Record<string, Record<string, unknown>>).controlvector!.layer_count).toBe(2);
    });

    it("a non-default alignment is recorded so readers find the data (general.alignment)", async () => {
        const tensors: GgufTensor[] = [{name: "t", dims: [3], data: pattern(3, 9)}];
        const {bytes, info} = await roundTrip({"a.x": gguf.str("h")}, tensors, {alignment: 64});
        const r = info.tensorInfo![0]!;
        expect(floatsAt(bytes, Number(r.fileOffset), 3)).toEqual(tensors[0]!.data);
    });

    it("throws when a tensor's dims do not match its data length, naming the tensor", () => {
        expect(() => writeGguf({}, [{name: "bad.weight", dims: [4, 3], data: new Float32Array(11)}]))
            .toThrow(/bad\.weight.*4x3.*12.*11/);
        expect(() => writeGguf({}, [{name: "ok", dims: [2], data: new Float32Array(2)}, {name: "short", dims: [5], data: new Float32Array(6)}]))
            .toThrow(/short/);
    });

    it("the synthetic llama model with grouped-query attention has K/V tensors of n_embd x (head_dim x n_head_kv)", async () => {
        const file = path.join(dir, "gqa.gguf");
        writeFileSync(file, buildSyntheticLlama({nEmbd: 24, nLayer: 3, nHead: 4, nHeadKv: 2}));
        const info = await readGgufFileInfo(file, {logWarnings: false});
        const arch = info.architectureMetadata as Record<string, unknown>;
        expect(info.metadata.general.architecture).toBe("llama");
        expect(arch.block_count).toBe(3);
        expect((arch.attention as Record<string, unknown>).head_count_kv).toBe(2);
        expect(info.tensorInfo!.find((t) => t.name === "blk.2.attn_k.weight")!.dimensions.map(Number)).toEqual([24, 12]);
        expect(info.tensorInfo!.find((t) => t.name === "blk.2.attn_q.weight")!.dimensions.map(Number)).toEqual([24, 24]);
    });

    it("the synthetic llama model reads back with its vocabulary and llama hyper-parameters", async () => {
        const file = path.join(dir, "synthetic.gguf");
        writeFileSync(file, buildSyntheticLlama({nEmbd: 16, nLayer: 2, nHead: 2, seed: 5}));
        const info = await readGgufFileInfo(file, {logWarnings: false});
        const m = info.metadata as unknown as {llama: Record<string, unknown>, tokenizer: {ggml: Record<string, unknown>}};
        const vocab = syntheticVocab();
        expect(m.llama.embedding_length).toBe(16);
        expect(m.llama.block_count).toBe(2);
        expect(m.tokenizer.ggml.tokens).toEqual(vocab.tokens);
        expect(info.tensorInfo!.find((t) => t.name === "token_embd.weight")!.dimensions.map(Number)).toEqual([16, vocab.tokens.length]);
        expect(info.tensorInfo!.filter((t) => t.name.startsWith("blk.1."))).toHaveLength(9);
        const bytes = readFileSync(file);
        const norm = info.tensorInfo!.find((t) => t.name === "output_norm.weight")!;
        expect(floatsAt(bytes, Number(norm.fileOffset), 16)).toEqual(new Float32Array(16).fill(1));
    });
});

describe("checkGgufStructure (the bounded header walk run before node-llama-cpp's reader)", () => {
    const good = writeGguf({"general.architecture": gguf.str("controlvector"), "x.words": gguf.strArr(["a", "bb"])},
        [{name: "direction.1", dims: [4], data: new Float32Array(4)}]);

    it("accepts what the writer makes, and every synthetic model", () => {
        expect(checkGgufStructure(good)).toBeUndefined();
        expect(checkGgufStructure(buildSyntheticLlama({nEmbd: 8, nHead: 2, nLayer: 1}))).toBeUndefined();
    });

    it("spots cut-short files at any point of the header", () => {
        // the walk ends with the last tensor info: name, n_dims (u32), one u64 dim, type (u32), offset (u64)
        const name = Buffer.from("direction.1");
        const infoEnd = good.indexOf(name) + name.length + 4 + 8 + 4 + 8;
        expect(checkGgufStructure(good.subarray(0, infoEnd))).toBeUndefined();
        for (const cut of [3, 8, 20, 24, 40, infoEnd - 1]) expect(checkGgufStructure(good.subarray(0, cut)), `cut at ${cut}`).toBeDefined();
    });

    it("names absurd counts, versions, dimensions and non-GGUF input", () => {
        const many = Buffer.from(good);
        many.writeBigUInt64LE(1n << 50n, 8); // tensor count
        expect(checkGgufStructure(many)).toMatch(/runs past the end/);
        const version = Buffer.from(good);
        version.writeUInt32LE(7, 4);
        expect(checkGgufStructure(version)).toMatch(/unsupported GGUF version 7/);
        const dims = Buffer.from(good);
        const name = Buffer.from("direction.1");
        dims.writeUInt32LE(5_000_000, dims.indexOf(name) + name.length);
        expect(checkGgufStructure(dims)).toMatch(/5000000 dimensions/);
        expect(checkGgufStructure(Buffer.from("not a gguf file at all"))).toBe("it is not a GGUF file");
    });

    it("checks the whole header, however long, against the file's own size", () => {
        const model = buildSyntheticLlama({nEmbd: 8, nHead: 2, nLayer: 1});
        // a file cut inside the metadata is truncated, wherever the cut
        for (const cut of [24, 40, 100, 300]) expect(checkGgufStructure(model.subarray(0, cut)), `cut at ${cut}`).toMatch(/runs past the end/);
        const corrupt = Buffer.from(model);
        corrupt.writeBigUInt64LE(0xffffffffn, 16); // kv count
        expect(checkGgufStructure(corrupt)).toMatch(/runs past the end/);
    });
});
