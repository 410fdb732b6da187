/**
 * Checks a model's tensors against its hyper-parameters where llama.cpp would abort instead of failing the load:
 * - a tensor of an integer type (I8…I64) or F64, or a norm that is not F32: ggml's CPU ops have no kernel for them
 *   (binary-ops.cpp: GGML_ABORT "unsupported types") and abort at the first decode;
 * - the tensors of a llama-layout decoder against n_embd, n_head, n_head_kv (per layer), the head size, n_ff and
 *   n_vocab, as llama.cpp's src/models/ARCH.cpp creates them (create_tensor_qkv: separate Q/K/V or one fused QKV):
 *   its loader checks them against layer 0's sizes only, so a per-layer head_count_kv with mixed values loads, then
 *   aborts in ggml_set_rows when a layer's K/V do not fit its cache. The architectures are those whose ARCH.cpp
 *   creates these tensors with these shapes (LAYOUTS, read from the bundled llama.cpp); other architectures are left
 *   to llama.cpp rather than refused on a guess (phi3 fuses gate and up into ffn_up, qwen3next doubles Q, …).
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

/**
 * How an architecture sizes its attention: `head` makes Q and the output head size · n_head wide (llama's
 * n_embd_head_k * n_head), `square` makes them n_embd wide (qwen2's and olmo2's n_embd, n_embd).
 */
const LAYOUTS: Record<string, "head" | "square"> = {
    llama: "head", qwen3: "head", gemma: "head", gemma2: "head", gemma3: "head", granite: "head", smollm3: "head", mistral3: "head",
    qwen2: "square", olmo2: "square"
};

function checkDecoderShapes(architecture: string, layout: "head" | "square", metadata: Metadata,
    tensors: readonly GgufTensorInfo[]): string | undefined {
    const p = `${architecture}.`;
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
        const q = layout === "square" ? nEmbd : nHead == null ? undefined : headK * nHead;
        const qWhy = layout === "square" ? "embedding_length" : `head size · ${heads}`;
        const k = nHeadKv == null ? undefined : headK * nHeadKv;
        const v = nHeadKv == null ? undefined : headV * nHeadKv;
        want(`blk.${il}.attn_q.weight`, [nEmbd, q], `embedding_length × ${qWhy}`);
        want(`blk.${il}.attn_k.weight`, [nEmbd, k], `embedding_length × head size · ${kvHeads}`);
        want(`blk.${il}.attn_v.weight`, [nEmbd, v], `embedding_length × head size · ${kvHeads}`);
        want(`blk.${il}.attn_qkv.weight`, [nEmbd, q == null || k == null || v == null ? undefined : q + k + v],
            `embedding_length × the Q, K and V widths (${qWhy}, head size · ${kvHeads} twice)`);
        want(`blk.${il}.attn_output.weight`, [q, nEmbd], `${qWhy} × embedding_length`);
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
    const layout = Object.hasOwn(LAYOUTS, architecture) ? LAYOUTS[architecture] : undefined;
    return checkTypes(tensors) ?? (layout ? checkDecoderShapes(architecture, layout, metadata, tensors) : undefined);
}
