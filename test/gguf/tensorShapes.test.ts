/**
 * The tensor-shape check reaches the llama-layout architectures beyond llama, each with its own attention layout
 * (tensorShapes.ts LAYOUTS), and fused QKV tensors; an architecture it does not know is left to llama.cpp. Pure: a
 * synthetic llama renamed to each architecture, its header read as the model check reads it.
 */
import {describe, expect, it} from "vitest";
import {bytesSource, readGgufHeader} from "../../src/gguf/ggufHeaderCheck.js";
import {gguf, GgufValueType, type GgufTensor, type GgufValue} from "../../src/gguf/ggufWriter.js";
import {tensorProblem} from "../../src/gguf/tensorShapes.js";
import {buildSyntheticLlama} from "../../tooling/syntheticLlama.js";

type Edit = (metadata: Record<string, GgufValue>, tensors: GgufTensor[]) => void;

/** the synthetic llama (32 wide, 4 heads, 2 KV heads, 4 layers) as architecture `arch`, edited, and checked */
function problemOf(arch: string, edit: Edit = () => undefined): string | undefined {
    const bytes = buildSyntheticLlama({nEmbd: 32, nLayer: 4, nHead: 4, nHeadKv: 2, seed: 5, edit: (m, t) => {
        for (const key of Object.keys(m).filter((k) => k.startsWith("llama."))) {
            m[`${arch}.${key.slice("llama.".length)}`] = m[key]!;
            if (arch !== "llama") delete m[key];
        }
        m["general.architecture"] = gguf.str(arch);
        edit(m, t);
    }});
    const read = readGgufHeader(bytesSource(bytes));
    if (read.header == null) throw new Error(read.problem);
    return tensorProblem(read.header.metadata, read.header.tensors, arch);
}

const mixedKvHeads = (arch: string): Edit => (m) => {
    m[`${arch}.attention.head_count_kv`] = {type: GgufValueType.ARRAY, itemType: GgufValueType.UINT32, value: [2, 4, 1, 2]};
};

describe("tensor shapes beyond llama", () => {
    const headLayout = ["llama", "qwen3", "gemma", "gemma2", "gemma3", "granite", "smollm3", "mistral3"];
    const squareLayout = ["qwen2", "olmo2"];

    it("an unbroken model passes as each architecture the check knows", () => {
        for (const arch of [...headLayout, ...squareLayout]) expect(problemOf(arch), arch).toBeUndefined();
    });

    it("a per-layer head_count_kv with mixed values is refused as each of them, naming the tensor that does not fit", () => {
        for (const arch of [...headLayout, ...squareLayout])
            expect(problemOf(arch, mixedKvHeads(arch)), arch).toBe("tensor blk.1.attn_k.weight is 32 × 16, but the header says 32 × 32 " +
                "(embedding_length × head size · layer 1's attention.head_count_kv)");
    });

    it("a key_length that disagrees with Q: refused where Q is head size · n_head wide, not where it is n_embd wide", () => {
        // head size 16 instead of 8: Q would be 64 wide under llama's layout; qwen2 and olmo2 make Q n_embd wide
        const keyLength = (arch: string): Edit => (m) => {
            m[`${arch}.attention.key_length`] = gguf.u32(16);
            m[`${arch}.attention.value_length`] = gguf.u32(8);
        };
        expect(problemOf("qwen3", keyLength("qwen3"))).toMatch(/^tensor blk\.0\.attn_q\.weight is 32 × 32, but the header says 32 × 64/);
        // under square, K (head size · KV heads = 32) is what no longer fits
        expect(problemOf("qwen2", keyLength("qwen2"))).toMatch(/^tensor blk\.0\.attn_k\.weight is 32 × 16, but the header says 32 × 32/);
    });

    it("a fused QKV tensor is checked against the sum of the Q, K and V widths", () => {
        const fuse = (width: number): Edit => (_m, tensors) => {
            for (const part of ["q", "k", "v"]) tensors.splice(tensors.findIndex((t) => t.name === `blk.0.attn_${part}.weight`), 1);
            tensors.push({name: "blk.0.attn_qkv.weight", dims: [32, width], data: new Float32Array(32 * width)});
        };
        expect(problemOf("llama", fuse(32 + 16 + 16))).toBeUndefined();
        expect(problemOf("llama", fuse(32 + 32 + 32))).toMatch(/^tensor blk\.0\.attn_qkv\.weight is 32 × 96, but the header says 32 × 64/);
    });

    it("an architecture it does not know is left to llama.cpp (no guess at its layout), but its tensor types are still checked", () => {
        expect(problemOf("phi3", mixedKvHeads("phi3"))).toBeUndefined();
        expect(problemOf("phi3", (_m, t) => { t.find((x) => x.name === "blk.2.ffn_norm.weight")!.type = 1; }))
            .toBe("the norm tensor blk.2.ffn_norm.weight is F16 (llama.cpp needs F32 norms)");
    });
});
