/**
 * Checks a model's tensors against its hyper-parameters where llama.cpp would abort instead of failing the load:
 * - a tensor of an integer type (I8…I64) or F64, or a norm that is not F32: ggml's CPU ops have no kernel for them
 *   (binary-ops.cpp: GGML_ABORT "unsupported types") and abort at the first decode;
 * - a llama's tensors against n_embd, n_head, n_head_kv (per layer), the head size, n_ff and n_vocab, as
 *   models/llama.cpp creates them: its loader checks them against layer 0's sizes only, so a per-layer
 *   head_count_kv with mixed values loads, then aborts in ggml_set_rows when a layer's K/V do not fit its cache.
 * The head size itself (0 when n_head > n_embd, an abort in the loader) is modelHyperparameters' check. Pure.
 */
import type {GgufMetadataValue, GgufTensorInfo} from "./ggufHeaderCheck.js";

type Metadata = ReadonlyMap<string, GgufMetadataValue>;

const GGML_TYPE_NAMES: Record<number, string> = {0: "F32", 1: "F16", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64", 30: "BF16"};
/** ggml types no model weight has: integer and double tensors */
const NON_WEIGHT_TYPES = new Set([24, 25, 26, 27, 28]);
const F32 = 0;

function typeName(type: number): string {
    return GGML_TYPE_NAMES[type] ?? `ggml type ${type}`;
}

function numberAt(metadata: Metadata, key: string): number | undefined {
    const v = metadata.get(key);
    return v?.kind === "number" ? v.value : undefined;
}

/** the value for layer `il` of a per-layer key (one number for all, or an array), as get_key_or_arr reads it */
function layerValue(metadata: Metadata, key: string, il: number): number | undefined {
    const v = metadata.get(key);
    if (v?.kind === "number") return v.value;
    if (v?.kind === "array") return v.items?.[il];
    return undefined;
}

function checkTypes(tensors: readonly GgufTensorInfo[]): string | undefined {
    for (const t of tensors) {
        if (NON_WEIGHT_TYPES.has(t.type)) return `tensor ${t.name} is ${typeName(t.type)}, a type llama.cpp cannot compute a model with`;
        if (/(^|[._])norm(_[a-z0-9]+)?\.(weight|bias)$/.test(t.name) && t.type !== F32)
            return `the norm tensor ${t.name} is ${typeName(t.type)} (llama.cpp needs F32 norms)`;
    }
    return undefined;
}

/** ne as ggml pads it: trailing dimensions of 1 are the same tensor */
function sameShape(dims: readonly number[], expected: readonly number[]): boolean {
    for (let i = 0; i < Math.max(dims.length, expected.length); i++) if ((dims[i] ?? 1) !== (expected[i] ?? 1)) return false;
    return true;
}

function checkLlamaShapes(metadata: Metadata, tensors: readonly GgufTensorInfo[]): string | undefined {
    const p = "llama.";
    const nEmbd = numberAt(metadata, `${p}embedding_length`);
    const nLayer = numberAt(metadata, `${p}block_count`);
    const tokens = metadata.get("tokenizer.ggml.tokens");
    const nVocab = numberAt(metadata, `${p}vocab_size`) ?? (tokens?.kind === "array" ? tokens.length : undefined);
    const nHead0 = layerValue(metadata, `${p}attention.head_count`, 0);
    if (nEmbd == null || nLayer == null || nHead0 == null || nHead0 < 1) return undefined; // left to llama.cpp
    const headK = numberAt(metadata, `${p}attention.key_length`) ?? Math.floor(nEmbd / nHead0);
    const headV = numberAt(metadata, `${p}attention.value_length`) ?? Math.floor(nEmbd / nHead0);
    const dense = (numberAt(metadata, `${p}expert_count`) ?? 0) === 0;
    const expected = new Map<string, {shape: number[], why: string}>();
    const want = (name: string, shape: (number | undefined)[], why: string) => {
        if (shape.every((d): d is number => d != null)) expected.set(name, {shape, why});
    };
    want("token_embd.weight", [nEmbd, nVocab], "embedding_length × the vocabulary size");
    want("output.weight", [nEmbd, nVocab], "embedding_length × the vocabulary size");
    want("output_norm.weight", [nEmbd], "embedding_length");
    for (let il = 0; il < nLayer; il++) {
        const nHead = layerValue(metadata, `${p}attention.head_count`, il);
        const nHeadKv = layerValue(metadata, `${p}attention.head_count_kv`, il) ?? nHead;
        const nFf = layerValue(metadata, `${p}feed_forward_length`, il);
        const heads = `layer ${il}'s attention.head_count`;
        const kvHeads = `layer ${il}'s attention.head_count_kv`;
        want(`blk.${il}.attn_norm.weight`, [nEmbd], "embedding_length");
        want(`blk.${il}.ffn_norm.weight`, [nEmbd], "embedding_length");
        want(`blk.${il}.attn_q.weight`, [nEmbd, nHead == null ? undefined : headK * nHead], `embedding_length × head size · ${heads}`);
        want(`blk.${il}.attn_k.weight`, [nEmbd, nHeadKv == null ? undefined : headK * nHeadKv], `embedding_length × head size · ${kvHeads}`);
        want(`blk.${il}.attn_v.weight`, [nEmbd, nHeadKv == null ? undefined : headV * nHeadKv], `embedding_length × head size · ${kvHeads}`);
        want(`blk.${il}.attn_output.weight`, [nHead == null ? undefined : headK * nHead, nEmbd], `head size · ${heads} × embedding_length`);
        if (dense) {
            want(`blk.${il}.ffn_gate.weight`, [nEmbd, nFf], `embedding_length × layer ${il}'s feed_forward_length`);
            want(`blk.${il}.ffn_up.weight`, [nEmbd, nFf], `embedding_length × layer ${il}'s feed_forward_length`);
            want(`blk.${il}.ffn_down.weight`, [nFf, nEmbd], `layer ${il}'s feed_forward_length × embedding_length`);
        }
    }
    for (const t of tensors) {
        const e = expected.get(t.name);
        if (e != null && !sameShape(t.dims, e.shape))
            return `tensor ${t.name} is ${t.dims.join(" × ")}, but the header says ${e.shape.join(" × ")} (${e.why})`;
    }
    return undefined;
}

/** What about the model's tensors would make llama.cpp abort on it; undefined when nothing does. */
export function tensorProblem(metadata: Metadata, tensors: readonly GgufTensorInfo[], architecture: string): string | undefined {
    return checkTypes(tensors) ?? (architecture === "llama" ? checkLlamaShapes(metadata, tensors) : undefined);
}
