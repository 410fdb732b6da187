/**
 * Crafted vocabularies, tensor shapes and shadowing keys (issue 25, "the process dies"): each model llama.cpp aborts
 * on (SIGABRT, std::out_of_range) is refused by the model check before llama.cpp sees it, in one line naming the file
 * with exit 2; and a seeded fuzz of such models, loaded in a child process, ends in no abort.
 */
import {spawnSync} from "node:child_process";
import {readFileSync, writeFileSync} from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {bytesSource, readGgufHeader} from "../../src/gguf/ggufHeaderCheck.js";
import {gguf, GgufValueType, encodeGgufKeyValue} from "../../src/gguf/ggufWriter.js";
import {modelProblem} from "../../src/gguf/modelCheck.js";
import {vocabularyProblem} from "../../src/gguf/vocabularyCheck.js";
import {buildSyntheticLlama, seededRandom} from "../../tooling/syntheticLlama.js";
import {expectOneLineError, runCli} from "../helpers/cliRun.js";
import {editGgufMetadata} from "../helpers/ggufEdit.js";
import {craftedModels, SHAPE, shadowedKeyModel, tensorModel, vocabularyModel} from "../helpers/modelMutants.js";
import {repoRoot, storiesModelPath, tempDir} from "../helpers/tinyModel.js";

const dir = tempDir("steer-vocab-");
let written = 0;
function save(bytes: Buffer, name = "model"): string {
    const file = path.join(dir, `${name.replace(/\W+/g, "-")}-${written++}.gguf`);
    writeFileSync(file, bytes);
    return file;
}

const ask = (file: string) => runCli(["ask", "--raw", "--temperature", "0", "--max-tokens", "4", "--model", file, "the cat"]);
const problemOf = (bytes: Buffer) => {
    const {header, problem} = readGgufHeader(bytesSource(bytes));
    return problem ?? (header && modelProblem(header)?.problem);
};

describe("the crafted models issue 25 found aborting are refused in one line, exit 2", () => {
    it("the unbroken model they are made from answers", async () => {
        const result = await ask(save(buildSyntheticLlama(SHAPE), "unbroken"));
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout.length).toBeGreaterThan(0);
    });

    const cases: [string, () => Buffer, RegExp][] = [
        ["duplicate token strings", () => vocabularyModel("duplicate token strings"), /vocabulary .*tokens 301 and 300|tokens 300 and 301 of tokenizer\.ggml\.tokens are both/],
        ["an empty token string", () => vocabularyModel("an empty token string"), /token 300 of tokenizer\.ggml\.tokens is empty/],
        ["tokens equal up to a NUL byte (llama.cpp reads C strings)", () => vocabularyModel("tokens equal up to a NUL byte"), /tokens 300 and 301 .* are both/],
        ["an SPM vocabulary without the newline byte token", () => vocabularyModel("an SPM vocabulary without <0x0A>"), /has no byte token <0x0A>/],
        ["zero tokens", () => vocabularyModel("zero tokens"), /tokenizer\.ggml\.tokens holds no tokens/],
        ["a bert tokenizer with a llama model", () => vocabularyModel("a bert tokenizer with a llama model"), /tokenizer\.ggml\.model is "bert" .* in a llama model/],
        ["a byte token whose text is not <0xXX>", () => vocabularyModel("a byte token whose text is not <0xXX>"), /token 300 is a byte token .* is not <0xXX>/],
        ["a head count that makes the head size 0", () => tensorModel("a head count that makes the head size 0"), /head_count \(64\) is more than llama\.embedding_length \(32\): a head size of 0/],
        ["a per-layer head_count_kv with mixed values, each dividing head_count", () => tensorModel("a per-layer head_count_kv with mixed values"),
            /tensor blk\.1\.attn_k\.weight is 32 × 16, but the header says 32 × 32/],
        ["an I32 norm tensor", () => tensorModel("an I32 norm tensor"), /tensor blk\.0\.attn_norm\.weight is I32/],
        ["an F16 norm tensor", () => tensorModel("an F16 ffn_norm"), /norm tensor blk\.2\.ffn_norm\.weight is F16 \(llama\.cpp needs F32 norms\)/],
        ["a key equal to llama.block_count up to a NUL byte, placed first", () => shadowedKeyModel(),
            /the metadata key "llama\.block_count\\u0000shadow" holds a NUL byte \(llama\.cpp would read it as "llama\.block_count"\)/],
        ["a u64 embedding_length (was: Cannot mix BigInt and other types)",
            () => editGgufMetadata(buildSyntheticLlama(SHAPE), {"llama.embedding_length": {type: GgufValueType.UINT64, value: 32n}}),
            /llama\.embedding_length is stored as a 64-bit integer/],
        ["a tokenizer.chat_template stored as a number (was: modelJinjaTemplate.trim is not a function)",
            () => editGgufMetadata(buildSyntheticLlama(SHAPE), {"tokenizer.chat_template": gguf.u32(7)}),
            /chat template .*tokenizer\.chat_template is a u32, not text/],
        ["an empty key given twice is shown quoted", () => editGgufMetadata(buildSyntheticLlama(SHAPE), {},
            {prepend: [encodeGgufKeyValue("", gguf.u32(1)), encodeGgufKeyValue("", gguf.u32(2))]}), /the metadata key "" appears twice/]
    ];
    for (const [label, make, expected] of cases) {
        it(label, async () => {
            const file = save(make(), label);
            const line = expectOneLineError(await ask(file));
            expect(line).toContain(file);
            expect(line).toMatch(expected);
            expect(line).toMatch(/re-download or re-convert/);
        });
    }
});

describe("the checks follow llama.cpp's reading of the vocabulary", () => {
    const vocab = (tokens: string[], extra: Record<string, ReturnType<typeof gguf.u32>> = {}, model = "llama") =>
        readGgufHeader(bytesSource(editGgufMetadata(buildSyntheticLlama(SHAPE), {"tokenizer.ggml.model": gguf.str(model),
            "tokenizer.ggml.tokens": gguf.strArr(tokens), "tokenizer.ggml.token_type": null, "tokenizer.ggml.scores": null, ...extra}))).header!.metadata;
    const bytes = Array.from({length: 256}, (_, i) => `<0x${i.toString(16).toUpperCase().padStart(2, "0")}>`);

    it("a tokenizer that adds BOS needs a BOS id in range, resolved as llama.cpp does (an id out of range keeps the default)", () => {
        // t5 (UGM) has no default BOS: adding one needs the file's id
        expect(vocabularyProblem(vocab(["a", "b", "c"], {"tokenizer.ggml.add_bos_token": gguf.bool(true), "tokenizer.ggml.bos_token_id": null} as never,
            "t5"), "t5"))
            .toMatch(/adds a BOS token, but tokenizer\.ggml\.bos_token_id is missing/);
        expect(vocabularyProblem(vocab(["a", "b", "c"], {"tokenizer.ggml.add_bos_token": gguf.bool(true), "tokenizer.ggml.bos_token_id": gguf.u32(2)} as never,
            "t5"), "t5")).toBeUndefined();
        expect(vocabularyProblem(vocab(["a"], {"tokenizer.ggml.add_bos_token": gguf.bool(false)} as never), "llama")).toMatch(/no byte token <0x00>/);
        expect(vocabularyProblem(vocab(["<unk>", "<s>", "</s>", ...bytes]), "llama")).toBeUndefined();
        expect(vocabularyProblem(vocab(["<unk>", "<s>", "</s>", ...bytes], {"tokenizer.ggml.bos_token_id": gguf.u32(99999)}), "llama")).toBeUndefined();
    });

    it("a BPE vocabulary needs no byte tokens, and a bert one is fine on a bert model with BOS and SEP in range", () => {
        expect(vocabularyProblem(vocab(["a", "b"], {}, "gpt2"), "llama")).toBeUndefined();
        const bert = Array.from({length: 110}, (_, i) => `w${i}`);
        expect(vocabularyProblem(vocab(bert, {}, "bert"), "bert")).toBeUndefined();
        expect(vocabularyProblem(vocab(bert.slice(0, 102), {}, "bert"), "bert")).toMatch(/adds a SEP token/);
    });

    it("the real models pass the whole check: stories260K and synthetic llamas", () => {
        expect(problemOf(readFileSync(storiesModelPath))).toBeUndefined();
        for (const options of [{}, SHAPE, {nEmbd: 64, nHead: 8, nHeadKv: 2, nLayer: 2}])
            expect(problemOf(buildSyntheticLlama(options))).toBeUndefined();
    });
});

describe("fuzz: crafted vocabularies and tensor shapes, in a child process", () => {
    it("80 crafted models: none aborts the process, each runs or is refused in one line naming the file", () => {
        const models = craftedModels(80, seededRandom(2025));
        const files = models.map((m, i) => save(m.bytes, `fuzz-${i}`));
        const child = spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot, "test", "helpers", "loadModelsChild.ts"), ...files],
            {cwd: repoRoot, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: {...process.env, STEER_CHAT_THREADS: "1"}});
        const results = child.stdout.trim().split("\n").map((l) => JSON.parse(l) as {file: string, outcome: string, line?: string})
            .filter((r) => r.outcome !== "started");
        const last = results.at(-1)?.file;
        const aborted = files[last == null ? 0 : files.indexOf(last) + 1];
        expect(child.signal, `aborted on ${models[files.indexOf(aborted!)]?.edits}: ${child.stderr.slice(-400)}`).toBeNull();
        expect(child.status, child.stderr.slice(-2000)).toBe(0);
        expect(results.map((r) => r.file)).toEqual(files);
        const outcomes = {ran: 0, refused: 0};
        for (const [i, r] of results.entries()) {
            expect(r.outcome, `${models[i]!.edits}: ${r.line}`).toMatch(/^(ran|refused)$/);
            outcomes[r.outcome as "ran" | "refused"]++;
            if (r.outcome === "refused") {
                expect(r.line).not.toContain("\n");
                expect(r.line).toContain(r.file);
            }
        }
        expect(outcomes.refused).toBeGreaterThan(40);
        expect(outcomes.ran).toBeGreaterThan(3);
    }, 600_000);
});
