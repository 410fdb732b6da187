import {readFileSync, writeFileSync} from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {readGgufFileInfo} from "node-llama-cpp";
import {gguf, GgufValueType, writeGguf} from "../../src/gguf/ggufWriter.js";
import {checkGgufStructure} from "../../src/gguf/ggufHeaderCheck.js";
import {buildSyntheticLlama, syntheticVocab} from "../../src/gguf/syntheticLlama.js";
import {tempDir} from "../helpers/steeringTestKit.js";

describe("GGUF writer", () => {
    it("round-trips metadata of every kind and F32 tensors through node-llama-cpp's readGgufFileInfo", async () => {
        const a = Float32Array.from({length: 12}, (_, i) => i / 3 - 1);
        const b = Float32Array.from([Math.PI, -0, 1e-30, 65504]);
        const file = path.join(tempDir(), "rt.gguf");
        writeFileSync(file, writeGguf({
            "general.architecture": gguf.str("llama"),
            "general.name": gguf.str("ünïcödé ✓"),
            "test.u32": gguf.u32(4_000_000_000),
            "test.i32": gguf.i32(-7),
            "test.f32": gguf.f32(0.5),
            "test.bool": gguf.bool(true),
            "test.u64": {type: GgufValueType.UINT64, value: 2n ** 40n},
            "test.strings": gguf.strArr(["a", "", "ccc"]),
            "test.floats": gguf.f32Arr([1.5, -2.25]),
            "test.ints": gguf.i32Arr([3, -4])
        }, [{name: "a", dims: [4, 3], data: a}, {name: "b.weight", dims: [4], data: b}]));
        const info = await readGgufFileInfo(file, {logWarnings: false});
        const m = info.metadata as unknown as Record<string, Record<string, unknown>>;
        expect(info.version).toBe(3);
        expect(m.general).toEqual({architecture: "llama", name: "ünïcödé ✓"});
        expect(m.test).toMatchObject({u32: 4_000_000_000, i32: -7, f32: 0.5, bool: true, strings: ["a", "", "ccc"], floats: [1.5, -2.25], ints: [3, -4]});
        expect(BigInt(m.test!.u64 as bigint)).toBe(2n ** 40n);
        const bytes = readFileSync(file);
        for (const [name, dims, data] of [["a", [4, 3], a], ["b.weight", [4], b]] as const) {
            const t = info.tensorInfo!.find((x) => x.name === name)!;
            expect(t.dimensions.map(Number)).toEqual(dims);
            expect(t.ggmlType).toBe(0);
            expect(Number(t.fileOffset) % 32).toBe(0);
            const start = Number(t.fileOffset);
            const back = new Float32Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + data.byteLength));
            expect(Object.is(back[1], data[1]) || back[1] === data[1]).toBe(true);
            expect([...back]).toEqual([...data]);
        }
        expect(checkGgufStructure(bytes)).toBeUndefined();
    });

    it("refuses a tensor whose dims do not match its data", () => {
        expect(() => writeGguf({}, [{name: "x", dims: [2, 2], data: new Float32Array(3)}])).toThrow(/need 4 values, got 3/);
    });

    it("writes tiny llama models that node-llama-cpp reads as llama with the expected shape", async () => {
        const file = path.join(tempDir(), "tiny.gguf");
        writeFileSync(file, buildSyntheticLlama({nEmbd: 24, nLayer: 3, nHead: 4, nHeadKv: 2}));
        const info = await readGgufFileInfo(file, {logWarnings: false});
        const arch = info.architectureMetadata as Record<string, unknown>;
        expect(info.metadata.general.architecture).toBe("llama");
        expect(arch.embedding_length).toBe(24);
        expect(arch.block_count).toBe(3);
        expect(info.tensorInfo!.find((t) => t.name === "blk.2.attn_k.weight")!.dimensions.map(Number)).toEqual([24, 12]);
        expect(info.tensorInfo!.find((t) => t.name === "token_embd.weight")!.dimensions.map(Number)).toEqual([24, syntheticVocab().tokens.length]);
    });

    it("the header check spots cut-short files and absurd counts", () => {
        const good = writeGguf({"general.architecture": gguf.str("controlvector")}, [{name: "direction.1", dims: [4], data: new Float32Array(4)}]);
        expect(checkGgufStructure(good)).toBeUndefined();
        expect(checkGgufStructure(good.subarray(0, 50))).toMatch(/runs past the end/);
        const many = Buffer.from(good);
        many.writeBigUInt64LE(1n << 50n, 8);
        expect(checkGgufStructure(many)).toMatch(/runs past the end/);
        expect(checkGgufStructure(Buffer.from("GGUF\x07\x00\x00\x00" + "\x00".repeat(16), "latin1"))).toMatch(/unsupported GGUF version 7/);
        expect(checkGgufStructure(Buffer.from("not a gguf file at all"))).toBe("it is not a GGUF file");
    });
});
