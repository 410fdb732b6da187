/**
 * Crafted vocabularies and tensor shapes for the model-check tests: a small synthetic llama (nEmbd 32, 4 layers,
 * 4 heads, 2 KV heads) broken in one way llama.cpp aborts on, by name (the cases issue 25's attack found), and
 * seeded random mixes of those breakages and their neighbours for the fuzz suite.
 */
import {encodeGgufKeyValue, gguf, GgufValueType, type GgufTensor, type GgufValue} from "../../src/gguf/ggufWriter.js";
import {buildSyntheticLlama} from "../../tooling/syntheticLlama.js";
import {editGgufMetadata, setTensorType} from "./ggufEdit.js";

export const SHAPE = {nEmbd: 32, nLayer: 4, nHead: 4, nHeadKv: 2, seed: 5} as const;
const GGML_I32 = 26;

type Edit = (metadata: Record<string, GgufValue>, tensors: GgufTensor[]) => void;

function tokensOf(metadata: Record<string, GgufValue>) {
    return {
        tokens: metadata["tokenizer.ggml.tokens"]!.value as string[],
        scores: metadata["tokenizer.ggml.scores"]!.value as number[],
        types: metadata["tokenizer.ggml.token_type"]!.value as number[]
    };
}

const build = (edit?: Edit) => buildSyntheticLlama({...SHAPE, edit});

/** the vocabulary edits: each a change to the token list, scores and types */
export const VOCABULARY_EDITS: Record<string, Edit> = {
    "duplicate token strings": (m) => { const {tokens} = tokensOf(m); tokens[300] = tokens[301]!; },
    "an empty token string": (m) => { tokensOf(m).tokens[300] = ""; },
    "tokens equal up to a NUL byte": (m) => { const {tokens} = tokensOf(m); tokens[300] = `${tokens[301]}\0x`; },
    "an SPM vocabulary without <0x0A>": (m) => { const {tokens, types} = tokensOf(m); tokens[3 + 10] = "<newline>"; types[3 + 10] = 1; },
    "zero tokens": (m) => {
        m["tokenizer.ggml.tokens"] = gguf.strArr([]);
        m["tokenizer.ggml.scores"] = gguf.f32Arr([]);
        m["tokenizer.ggml.token_type"] = gguf.i32Arr([]);
    },
    "a bert tokenizer with a llama model": (m) => { m["tokenizer.ggml.model"] = gguf.str("bert"); },
    "a byte token whose text is not <0xXX>": (m) => { tokensOf(m).types[300] = 6; }
};

const setKv = (value: GgufValue): Edit => (m) => { m["llama.attention.head_count_kv"] = value; };
const i32Tensor = (name: string) => (bytes: Buffer) => setTensorType(bytes, name, GGML_I32);

/** the tensor edits: a header that disagrees with the tensors, or a tensor of a type ggml cannot compute with */
export const TENSOR_EDITS: Record<string, {edit?: Edit, after?: (bytes: Buffer) => Buffer}> = {
    "a head count that makes the head size 0": {edit: (m) => { m["llama.attention.head_count"] = gguf.u32(64); }},
    "a per-layer head_count_kv with mixed values": {edit: setKv({type: GgufValueType.ARRAY, itemType: GgufValueType.UINT32, value: [2, 4, 1, 2]})},
    "a per-layer head_count_kv that fits layer 0 only": {edit: setKv(gguf.i32Arr([2, 2, 2, 4]))},
    "an I32 norm tensor": {after: i32Tensor("blk.0.attn_norm.weight")},
    "an I32 output_norm": {after: i32Tensor("output_norm.weight")},
    "an I32 attention weight": {after: i32Tensor("blk.1.attn_q.weight")},
    "an F16 ffn_norm": {edit: (_m, t) => { t.find((x) => x.name === "blk.2.ffn_norm.weight")!.type = 1; }},
    "a feed_forward_length that disagrees with ffn_up": {edit: (m) => { m["llama.feed_forward_length"] = gguf.u32(48); }}
};

/** a key that equals llama.block_count up to a NUL byte, placed first: llama.cpp's strcmp finds it first */
export function shadowedKeyModel(key = "llama.block_count", value: GgufValue = gguf.u32(1000)): Buffer {
    return editGgufMetadata(build(), {}, {prepend: [encodeGgufKeyValue(`${key}\0shadow`, value)]});
}

export function vocabularyModel(name: keyof typeof VOCABULARY_EDITS | string): Buffer {
    return build(VOCABULARY_EDITS[name]);
}

export function tensorModel(name: keyof typeof TENSOR_EDITS | string): Buffer {
    const {edit, after} = TENSOR_EDITS[name]!;
    const bytes = build(edit);
    return after ? after(bytes) : bytes;
}

/**
 * `count` seeded crafted models: one or two vocabulary or tensor edits from the lists above, or a random token
 * duplicated, emptied, NUL-suffixed or retyped, or a random tensor's type set to I32 — some of which load fine.
 */
export function craftedModels(count: number, rand: () => number): {edits: string, bytes: Buffer}[] {
    const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    const vocabNames = Object.keys(VOCABULARY_EDITS);
    const tensorNames = Object.keys(TENSOR_EDITS);
    return Array.from({length: count}, () => {
        const described: string[] = [];
        const edits: Edit[] = [];
        const lastEdits: Edit[] = [];
        const afters: ((bytes: Buffer) => Buffer)[] = [];
        for (let n = rand() < 0.7 ? 1 : 2; n > 0; n--) {
            const kind = Math.floor(rand() * 4);
            if (kind === 0) {
                const name = pick(vocabNames);
                described.push(name);
                // emptying the vocabulary comes after the edits that change one of its tokens
                if (name === "zero tokens") lastEdits.push(VOCABULARY_EDITS[name]);
                else edits.push(VOCABULARY_EDITS[name]!);
            } else if (kind === 1) {
                const name = pick(tensorNames);
                described.push(name);
                const {edit, after} = TENSOR_EDITS[name]!;
                if (edit) edits.push(edit);
                if (after) afters.push(after);
            } else if (kind === 2) {
                const id = Math.floor(rand() * 377); // the synthetic vocabulary's size
                const other = Math.floor(rand() * 377);
                const how = pick(["duplicate", "empty", "nul", "byte-type", "control-type", "unused-type"] as const);
                described.push(`token ${id} ${how}${how === "duplicate" || how === "nul" ? ` of ${other}` : ""}`);
                edits.push((m) => {
                    const {tokens, types} = tokensOf(m);
                    if (how === "duplicate") tokens[id] = tokens[other]!;
                    else if (how === "empty") tokens[id] = "";
                    else if (how === "nul") tokens[id] = `${tokens[other]}\0${id}`;
                    else types[id] = how === "byte-type" ? 6 : how === "control-type" ? 3 : 5;
                });
            } else {
                const layer = Math.floor(rand() * SHAPE.nLayer);
                const name = pick([`blk.${layer}.attn_norm.weight`, `blk.${layer}.ffn_down.weight`, `blk.${layer}.attn_v.weight`,
                    "token_embd.weight", "output.weight", "output_norm.weight"]);
                const type = pick([GGML_I32, 0]); // 0: F32, a tensor that stays as it was
                described.push(`${name} type ${type}`);
                afters.push((bytes) => setTensorType(bytes, name, type));
            }
        }
        let bytes = build((m, t) => { for (const e of [...edits, ...lastEdits]) e(m, t); });
        for (const after of afters) bytes = after(bytes);
        return {edits: described.join(", "), bytes};
    });
}
