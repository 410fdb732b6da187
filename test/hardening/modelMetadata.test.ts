/**
 * Crafted model metadata: each key the hardening issue found aborting the process through llama.cpp's GGML_ASSERT
 * (SIGABRT, conversation lost) is refused before llama.cpp sees the file, with one line naming the key and exit 2.
 * Every model runs in a child process (the real binary), so an abort fails the test instead of killing vitest.
 * Also: unusable context lengths, general.alignment = 0, and a header larger than any fixed prefix followed by an
 * absurd tensor.
 */
import {readFileSync, writeFileSync} from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {gguf, GgufValueType, writeGguf, type GgufValue} from "../../src/gguf/ggufWriter.js";
import {bytesSource, readGgufHeader} from "../../src/gguf/ggufHeaderCheck.js";
import {ARCHITECTURES_WITHOUT_ATTENTION_EVERYWHERE, hyperparameterProblem} from "../../src/gguf/modelHyperparameters.js";
import {buildSyntheticLlama} from "../../tooling/syntheticLlama.js";
import {expectOneLineError, runCli} from "../helpers/cliRun.js";
import {editGgufMetadata} from "../helpers/ggufEdit.js";
import {repoRoot, storiesModelPath, tempDir} from "../helpers/tinyModel.js";

const dir = tempDir("steer-meta-");
// the issue reproduced these on stories260K; a generated model of the same shape stands in without it
const base = readFileSync(storiesModelPath); // the shipped demo model: a real trained llama, mutated

function crafted(name: string, edits: Record<string, GgufValue | null>): string {
    const file = path.join(dir, `${name}.gguf`);
    writeFileSync(file, editGgufMetadata(base, edits));
    return file;
}

const ask = (file: string, ...flags: string[]) => runCli(["ask", "--raw", "--temperature", "0", "--max-tokens", "8", ...flags, "--model", file, "Once upon a time"]);

describe("crafted model metadata is refused before llama.cpp can abort on it", () => {
    it("the unmodified model answers (so the refusals below are about the one key each changes)", async () => {
        const result = await ask(crafted("unmodified", {}));
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout.length).toBeGreaterThan(0);
    });

    const cases: [string, Record<string, GgufValue>, RegExp][] = [
        ["block_count 0", {"llama.block_count": gguf.u32(0)}, /llama\.block_count is 0/],
        ["nextn_predict_layers beyond block_count", {"llama.nextn_predict_layers": gguf.u32(9)}, /llama\.nextn_predict_layers is 9/],
        ["expert_count 4 on a dense model", {"llama.expert_count": gguf.u32(4)}, /llama\.expert_count is 4/],
        ["expert_count 1000 on a dense model", {"llama.expert_count": gguf.u32(1000)}, /llama\.expert_count is 1000/],
        ["expert_count with expert_used_count but no expert tensors", {"llama.expert_count": gguf.u32(4), "llama.expert_used_count": gguf.u32(2)},
            /llama\.expert_count is 4, but the file has no expert tensors/],
        ["expert_used_count without experts", {"llama.expert_used_count": gguf.u32(2)}, /llama\.expert_used_count is 2/],
        ["expert_used_count above expert_count", {"llama.expert_count": gguf.u32(2), "llama.expert_used_count": gguf.u32(3)}, /llama\.expert_used_count is 3/],
        ["rope.scaling.type bogus", {"llama.rope.scaling.type": gguf.str("bogus")}, /llama\.rope\.scaling\.type is "bogus"/],
        ["feed_forward_length 0", {"llama.feed_forward_length": gguf.u32(0)}, /llama\.feed_forward_length is 0/],
        ["head_count 0", {"llama.attention.head_count": gguf.u32(0)}, /llama\.attention\.head_count is 0/],
        ["head_count_kv 0", {"llama.attention.head_count_kv": gguf.u32(0)}, /llama\.attention\.head_count_kv is 0/],
        ["head_count_kv not dividing head_count", {"llama.attention.head_count_kv": gguf.u32(3)}, /head_count_kv \(3\) does not divide/],
        ["a per-layer head_count with a 0", {"llama.attention.head_count": gguf.i32Arr([8, 8, 0, 8, 8])}, /head_count is 0 for layer 2/],
        ["layer_norm_rms_epsilon NaN (loads, then aborts at the first decode)", {"llama.attention.layer_norm_rms_epsilon": gguf.f32(NaN)},
            /llama\.attention\.layer_norm_rms_epsilon is NaN/],
        ["a negative layer_norm_rms_epsilon", {"llama.attention.layer_norm_rms_epsilon": gguf.f32(-1)}, /layer_norm_rms_epsilon is -1/],
        ["general.alignment 0 (node-llama-cpp: \"NaN cannot be converted to a BigInt\")", {"general.alignment": gguf.u32(0)},
            /general\.alignment is 0 \(it must be a power of two\)/],
        ["tokenizer.ggml.model none", {"tokenizer.ggml.model": gguf.str("none")}, /tokenizer\.ggml\.model is "none"/]
    ];
    for (const [label, edits, expected] of cases) {
        it(label, async () => {
            const file = crafted(label.replace(/\W+/g, "-"), edits);
            const line = expectOneLineError(await ask(file));
            expect(line).toContain(file);
            expect(line).toMatch(expected);
        });
    }
});

describe("a context length the model cannot default to (0, 1, 0xffffffff) is refused, and --context-size still runs it", () => {
    for (const value of [0, 1, 0xffffffff]) {
        it(`context_length ${value}`, async () => {
            const file = crafted(`ctx-${value}`, {"llama.context_length": gguf.u32(value)});
            const line = expectOneLineError(await ask(file));
            expect(line).toContain(`gives its context length as ${value} (llama.context_length)`);
            expect(line).toContain("--context-size");
            const withSize = await ask(file, "--context-size", "64");
            expect(withSize.code, withSize.stderr).toBe(0);
            expect(withSize.stdout.length).toBeGreaterThan(0);
        });
    }
});

describe("the header check reads the whole header, bounded by the file size", () => {
    it("a 17 MB header followed by a tensor with n_dims 0x7fffffff is refused at once, in one line", async () => {
        // past the 16 MB prefix the check used to read: a vocabulary-sized string array, then one tensor
        const words = Array.from({length: 600_000}, (_, i) => `token-${i}-${"x".repeat(12)}`);
        const bytes = writeGguf({"general.architecture": gguf.str("llama"), "tokenizer.ggml.tokens": gguf.strArr(words)},
            [{name: "token_embd.weight", dims: [4], data: new Float32Array(4)}]);
        const nameAt = bytes.lastIndexOf(Buffer.from("token_embd.weight"));
        expect(nameAt).toBeGreaterThan(16 * 1024 * 1024);
        bytes.writeUInt32LE(0x7fffffff, nameAt + "token_embd.weight".length);
        const file = path.join(dir, "huge-header.gguf");
        writeFileSync(file, bytes);
        const line = expectOneLineError(await ask(file));
        expect(line).toContain(file);
        expect(line).toMatch(/a tensor has 2147483647 dimensions/);
    });

    it("walks a header through small reads and checks every count against what is left of the file", () => {
        const model = buildSyntheticLlama({nEmbd: 8, nHead: 2, nLayer: 1});
        const reads: number[] = [];
        const source = {size: model.length, read: (offset: number, length: number) => {
            reads.push(length);
            return model.subarray(offset, offset + length);
        }};
        const {header} = readGgufHeader(source);
        expect(header?.metadata.get("llama.block_count")).toEqual({kind: "number", ggufType: GgufValueType.UINT32, value: 1});
        expect(header?.tensors.map((t) => t.name)).toContain("blk.0.ffn_down.weight");
        const corrupt = Buffer.from(model);
        corrupt.writeBigUInt64LE(0xffffffffn, 16); // kv count
        expect(readGgufHeader(bytesSource(corrupt)).problem).toMatch(/runs past the end/);
        expect(readGgufHeader(bytesSource(model.subarray(0, 300))).problem).toMatch(/runs past the end/);
    });
});

describe("hyperparameterProblem follows llama.cpp's per-architecture rules", () => {
    const header = (metadata: Record<string, GgufValue>, tensors: string[] = ["token_embd.weight"]) =>
        readGgufHeader(bytesSource(writeGguf(metadata, tensors.map((name) => ({name, dims: [8], data: new Float32Array(8)}))))).header!;

    it("recurrent models write 0 heads and 0 feed-forward length on purpose (mamba), and are let through", () => {
        const mamba = {"general.architecture": gguf.str("mamba"), "mamba.block_count": gguf.u32(4), "mamba.embedding_length": gguf.u32(8),
            "mamba.attention.head_count": gguf.u32(0), "mamba.feed_forward_length": gguf.u32(0)};
        expect(hyperparameterProblem(header(mamba))).toBeUndefined();
        // but a llama with the same numbers is not
        expect(hyperparameterProblem(header({...mamba, "general.architecture": gguf.str("llama"), "llama.attention.head_count": gguf.u32(0)})))
            .toMatch(/llama\.attention\.head_count is 0/);
    });

    it("a deci model's per-layer arrays may hold 0 for a layer without attention or feed-forward; a llama's may not", () => {
        const perLayer = (arch: string) => ({"general.architecture": gguf.str(arch), [`${arch}.block_count`]: gguf.u32(3),
            [`${arch}.attention.head_count`]: gguf.i32Arr([4, 0, 4]), [`${arch}.feed_forward_length`]: gguf.i32Arr([16, 16, 0])});
        expect(hyperparameterProblem(header(perLayer("deci")))).toBeUndefined();
        expect(hyperparameterProblem(header(perLayer("llama")))).toMatch(/llama\.attention\.head_count is 0 for layer 1/);
    });

    it("a mixture of experts routes to between 1 and expert_count experts per layer, and has expert tensors", () => {
        const moe = (used: GgufValue, tensors = ["blk.0.ffn_gate_inp.weight", "blk.0.ffn_up_exps.weight"]) => header({
            "general.architecture": gguf.str("llama"), "llama.block_count": gguf.u32(2), "llama.attention.head_count": gguf.u32(2),
            "llama.expert_count": gguf.u32(8), "llama.expert_used_count": used}, tensors);
        expect(hyperparameterProblem(moe(gguf.u32(2)))).toBeUndefined();
        expect(hyperparameterProblem(moe(gguf.i32Arr([2, 9])))).toMatch(/expert_used_count is 9, more than llama\.expert_count \(8\)/);
        expect(hyperparameterProblem(moe(gguf.u32(2), ["token_embd.weight"]))).toMatch(/no expert tensors/);
    });

    it("tensor data that llama.cpp's mmap would find misaligned (general.alignment below 32) is refused", () => {
        const small = readGgufHeader(bytesSource(writeGguf({"general.architecture": gguf.str("llama")},
            [{name: "a", dims: [3], data: new Float32Array(3)}, {name: "b", dims: [3], data: new Float32Array(3)}], {alignment: 4}))).header!;
        expect(hyperparameterProblem(small)).toMatch(/is not 32-byte aligned \(check general.alignment\)/);
    });

    it("the list of architectures without attention in every layer is llama.cpp's recurrent and hybrid ones", () => {
        const src = path.join(repoRoot, "node_modules", "node-llama-cpp", "llama", "llama.cpp", "src", "llama-arch.cpp");
        const text = readFileSync(src, "utf8");
        const names = new Map([...text.matchAll(/\{\s*(LLM_ARCH_[A-Z0-9_]+)\s*,\s*"([^"]+)"\s*\}/g)].map((m) => [m[1]!, m[2]!]));
        const casesOf = (fn: string) => {
            const body = new RegExp(`bool ${fn}\\(const llm_arch & arch\\) \\{([\\s\\S]*?)\\n\\}`).exec(text)?.[1] ?? "";
            return [...body.matchAll(/case (LLM_ARCH_[A-Z0-9_]+):/g)].map((m) => names.get(m[1]!)!);
        };
        const expected = [...casesOf("llm_arch_is_recurrent"), ...casesOf("llm_arch_is_hybrid"), "wavtokenizer-dec"];
        expect(casesOf("llm_arch_is_recurrent").length).toBeGreaterThan(3);
        expect([...ARCHITECTURES_WITHOUT_ATTENTION_EVERYWHERE].sort()).toEqual(expected.sort());
    });
});
