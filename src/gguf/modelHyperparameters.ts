/**
 * Checks a model's hyper-parameters (from its GGUF header) against the rules llama.cpp enforces with GGML_ASSERT,
 * which aborts the whole process instead of returning an error: layer and expert counts, the rope scaling type,
 * head and feed-forward sizes, and norm epsilons (a NaN one loads, then aborts at the first decode).
 * The rules follow llama_model_base::load_hparams (llama-model.cpp), llama-hparams.h and ggml's norm ops in the
 * llama.cpp that node-llama-cpp bundles. Pure.
 */
import type {GgufHeader, GgufMetadataValue} from "./ggufHeaderCheck.js";

export const LLAMA_MAX_LAYERS = 512;
export const LLAMA_MAX_EXPERTS = 1024;
const ROPE_SCALING_TYPES = ["none", "linear", "yarn", "longrope"];
/** the sizes llama.cpp reads as u32: node-llama-cpp reads a 64-bit one as a BigInt and fails on it in its own maths */
const SIZE_KEYS = ["context_length", "embedding_length", "block_count", "feed_forward_length", "attention.head_count",
    "attention.head_count_kv", "attention.key_length", "attention.value_length", "rope.dimension_count", "vocab_size",
    "expert_count", "expert_used_count"];
const TYPE_U64 = 10;
const TYPE_I64 = 11;
const FLOAT_TYPES = new Set([6, 12]);

/**
 * Architectures with layers that have no attention or no feed-forward block (llama.cpp's llm_arch_is_recurrent and
 * llm_arch_is_hybrid, plus the audio decoder): their converters write 0 heads or 0 feed-forward length on purpose.
 * test/hardening/modelMetadata.test.ts keeps this list in step with the bundled llama-arch.cpp.
 */
export const ARCHITECTURES_WITHOUT_ATTENTION_EVERYWHERE: ReadonlySet<string> = new Set([
    "mamba", "mamba2", "rwkv6", "rwkv6qwen2", "rwkv7", "arwkv7",
    "jamba", "falcon-h1", "plamo2", "granitehybrid", "lfm2", "lfm2moe", "nemotron_h", "nemotron_h_moe", "qwen3next",
    "kimi-linear", "bailingmoe3", "kimi-k3", "qwen35", "qwen35moe", "qwen4exp", "deepseek4", "minimax-01",
    "wavtokenizer-dec"
]);

/** architectures whose per-layer head and feed-forward arrays may hold 0 for a layer without that block (deci.cpp) */
const ARCHITECTURES_WITH_EMPTY_LAYERS: ReadonlySet<string> = new Set(["deci"]);
const TENSOR_ALIGNMENT = 32;

type Metadata = ReadonlyMap<string, GgufMetadataValue>;

function numberAt(metadata: Metadata, key: string): number | undefined {
    const v = metadata.get(key);
    return v?.kind === "number" ? v.value : undefined;
}

/** a per-layer value as llama.cpp's get_key_or_arr reads it: one number for every layer, or one per layer */
function perLayer(metadata: Metadata, key: string): {values: number[], scalar: boolean} | undefined {
    const v = metadata.get(key);
    if (v?.kind === "number") return {values: [v.value], scalar: true};
    if (v?.kind === "array" && v.items != null) return {values: v.items, scalar: false};
    return undefined;
}

function describe(value: number): string {
    return Number.isNaN(value) ? "NaN" : String(value);
}

function checkFloats(metadata: Metadata, prefix: string): string | undefined {
    for (const [key, v] of metadata) {
        if (!key.startsWith(prefix)) continue;
        if (v.kind === "number" && FLOAT_TYPES.has(v.ggufType) && !Number.isFinite(v.value)) return `${key} is ${describe(v.value)}`;
        if (v.kind === "array" && FLOAT_TYPES.has(v.itemType) && v.items?.some((x) => !Number.isFinite(x))) return `${key} holds NaN or infinite values`;
        // ggml's norm ops assert eps >= 0
        if (key.endsWith("_epsilon") && v.kind === "number" && v.value < 0) return `${key} is ${v.value} (an epsilon cannot be negative)`;
    }
    return undefined;
}

function checkLayers(metadata: Metadata, prefix: string): string | undefined {
    const blocks = numberAt(metadata, `${prefix}block_count`);
    if (blocks != null && blocks > LLAMA_MAX_LAYERS)
        return `${prefix}block_count says ${blocks} layers, more than llama.cpp supports (${LLAMA_MAX_LAYERS})`;
    if (blocks != null && (!Number.isInteger(blocks) || blocks < 1))
        return `${prefix}block_count is ${describe(blocks)} (llama.cpp loads 1 to ${LLAMA_MAX_LAYERS} layers)`;
    const nextn = numberAt(metadata, `${prefix}nextn_predict_layers`);
    if (nextn != null && blocks != null && nextn > blocks)
        return `${prefix}nextn_predict_layers is ${nextn}, more than the model's ${blocks} layers (${prefix}block_count)`;
    return undefined;
}

function checkExperts(metadata: Metadata, prefix: string, tensorNames: readonly string[]): string | undefined {
    const experts = numberAt(metadata, `${prefix}expert_count`) ?? 0;
    const used = Math.max(0, ...(perLayer(metadata, `${prefix}expert_used_count`)?.values ?? [0]));
    const groups = numberAt(metadata, `${prefix}expert_group_count`) ?? 0;
    const groupsUsed = numberAt(metadata, `${prefix}expert_group_used_count`) ?? 0;
    if (experts > LLAMA_MAX_EXPERTS) return `${prefix}expert_count is ${experts} (llama.cpp supports at most ${LLAMA_MAX_EXPERTS})`;
    if (used > experts) return `${prefix}expert_used_count is ${used}, more than ${prefix}expert_count (${experts})`;
    if (experts === 0) {
        if (groups !== 0) return `${prefix}expert_group_count is ${groups} in a model without experts`;
        return undefined;
    }
    if (used === 0) return `${prefix}expert_count is ${experts} but ${prefix}expert_used_count is missing or 0`;
    if (!tensorNames.some((name) => name.includes("_exps") || name.includes("ffn_gate_inp")))
        return `${prefix}expert_count is ${experts}, but the file has no expert tensors (a dense model?)`;
    if (groups >= experts) return `${prefix}expert_group_count is ${groups}, not fewer than ${prefix}expert_count (${experts})`;
    if (groups > 1 && (experts % groups !== 0 || groupsUsed < 1 || groupsUsed >= groups))
        return `${prefix}expert_group_count ${groups} and expert_group_used_count ${groupsUsed} do not fit ${experts} experts`;
    return undefined;
}

/** `key` as a per-layer value with no layer below 1 (`zeroLayers`: a 0 in a per-layer array is allowed) */
function positivePerLayer(metadata: Metadata, key: string, zeroLayers: boolean): string | undefined {
    const v = perLayer(metadata, key);
    if (v == null) return `${key} is missing`;
    const bad = v.values.findIndex((x) => x < 1);
    if (bad < 0 || (zeroLayers && !v.scalar)) return undefined;
    return v.scalar ? `${key} is ${v.values[0]}` : `${key} is ${v.values[bad]} for layer ${bad}`;
}

function checkAttention(metadata: Metadata, prefix: string, zeroLayers: boolean): string | undefined {
    const embd = numberAt(metadata, `${prefix}embedding_length`);
    if (embd != null && embd < 1) return `${prefix}embedding_length is ${embd}`;
    // llama.cpp reads a missing head count as 0 heads in every layer, and a missing feed-forward length as 0
    const headProblem = positivePerLayer(metadata, `${prefix}attention.head_count`, zeroLayers);
    if (headProblem) return headProblem;
    const heads = perLayer(metadata, `${prefix}attention.head_count`)!;
    const kvHeads = perLayer(metadata, `${prefix}attention.head_count_kv`);
    if (kvHeads != null) {
        const kvProblem = positivePerLayer(metadata, `${prefix}attention.head_count_kv`, zeroLayers);
        if (kvProblem) return kvProblem;
        for (let il = 0; il < Math.max(heads.values.length, kvHeads.values.length); il++) {
            const h = heads.values[heads.scalar ? 0 : il] ?? 0;
            const kv = kvHeads.values[kvHeads.scalar ? 0 : il] ?? 0;
            if (h > 0 && kv > 0 && h % kv !== 0)
                return `${prefix}attention.head_count_kv (${kv}) does not divide ${prefix}attention.head_count (${h})`;
        }
    }
    // a mixture-of-experts model may size its feed-forward blocks by the expert keys alone
    if ((numberAt(metadata, `${prefix}expert_count`) ?? 0) === 0) {
        const ffProblem = positivePerLayer(metadata, `${prefix}feed_forward_length`, zeroLayers);
        if (ffProblem) return ffProblem;
    }
    for (const key of ["attention.key_length", "attention.value_length"]) {
        const length = numberAt(metadata, `${prefix}${key}`);
        if (length != null && length < 1) return `${prefix}${key} is ${length}`;
    }
    // llama.cpp sizes a head as embedding_length / head_count (layer 0's, rounded down) unless key_length and
    // value_length say otherwise; a head size of 0 makes tensors with a dimension of 0, which its loader asserts on
    const firstHeads = heads.values[0] ?? 0;
    const missingLength = ["attention.key_length", "attention.value_length"].find((key) => numberAt(metadata, `${prefix}${key}`) == null);
    if (embd != null && firstHeads > embd && missingLength != null)
        return `${prefix}attention.head_count (${firstHeads}) is more than ${prefix}embedding_length (${embd}): a head size of 0`;
    return undefined;
}

/** llama.cpp maps the file and asserts every tensor's data starts on a 32-byte boundary */
function checkTensorAlignment(header: Pick<GgufHeader, "tensors" | "dataStart">): string | undefined {
    const misaligned = header.tensors.find((t) => (header.dataStart + t.offset) % TENSOR_ALIGNMENT !== 0);
    return misaligned && `the data of tensor ${misaligned.name} is not ${TENSOR_ALIGNMENT}-byte aligned (check general.alignment)`;
}

/**
 * What in the header would make llama.cpp abort (not fail) while loading or running the model, naming the key;
 * undefined when nothing does. Problems llama.cpp reports as errors (a missing key, a wrong type) are left to it.
 */
export function hyperparameterProblem(header: Pick<GgufHeader, "metadata" | "tensors" | "dataStart">): string | undefined {
    const {metadata} = header;
    const tensorNames = header.tensors.map((t) => t.name);
    const architecture = metadata.get("general.architecture");
    if (architecture?.kind !== "string" || !architecture.complete || architecture.value === "clip") return undefined;
    const prefix = `${architecture.value}.`;
    const tokenizer = metadata.get("tokenizer.ggml.model");
    // llama.cpp loads a model without a vocabulary, then aborts on the first text it is given
    if (tokenizer?.kind === "string" && (tokenizer.value === "none" || tokenizer.value === "no_vocab"))
        return `tokenizer.ggml.model is "${tokenizer.value}": the model has no tokenizer to read text with`;
    const wide = SIZE_KEYS.find((key) => {
        const v = metadata.get(`${prefix}${key}`);
        return (v?.kind === "number" && (v.ggufType === TYPE_U64 || v.ggufType === TYPE_I64))
            || (v?.kind === "array" && (v.itemType === TYPE_U64 || v.itemType === TYPE_I64));
    });
    if (wide != null) return `${prefix}${wide} is stored as a 64-bit integer (llama.cpp reads it as a 32-bit one)`;
    const rope = metadata.get(`${prefix}rope.scaling.type`);
    const ropeProblem = rope?.kind === "string" && !ROPE_SCALING_TYPES.includes(rope.value)
        ? `${prefix}rope.scaling.type is "${rope.value.slice(0, 64)}" (llama.cpp knows ${ROPE_SCALING_TYPES.join(", ")})` : undefined;
    return checkTensorAlignment(header) ?? checkLayers(metadata, prefix) ?? checkExperts(metadata, prefix, tensorNames) ?? ropeProblem
        ?? checkFloats(metadata, prefix)
        ?? (ARCHITECTURES_WITHOUT_ATTENTION_EVERYWHERE.has(architecture.value) ? undefined
            : checkAttention(metadata, prefix, ARCHITECTURES_WITH_EMPTY_LAYERS.has(architecture.value)));
}
