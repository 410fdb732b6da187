/**
 * Seeded mutations of a model's hyper-parameters for the fuzz suite: one or two keys set to odd values (0, 1, huge,
 * negative, NaN, a wrong type, a per-layer array of the wrong length) or dropped, the tensors left as they were.
 */
import {gguf, GgufValueType, type GgufValue} from "../../src/gguf/ggufWriter.js";
import {editGgufMetadata} from "./ggufEdit.js";

const KEYS = [
    "llama.block_count", "llama.context_length", "llama.embedding_length", "llama.feed_forward_length",
    "llama.attention.head_count", "llama.attention.head_count_kv", "llama.attention.layer_norm_rms_epsilon",
    "llama.attention.key_length", "llama.attention.value_length", "llama.rope.dimension_count", "llama.rope.freq_base",
    "llama.rope.scaling.type", "llama.rope.scaling.factor", "llama.expert_count", "llama.expert_used_count",
    "llama.expert_group_count", "llama.nextn_predict_layers", "llama.vocab_size", "general.alignment",
    "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.model"
];

function oddValue(rand: () => number, nLayer: number): GgufValue | null {
    const u32s = [0, 1, 2, 3, 7, 9, 64, 1000, 4096, 0x7fffffff, 0xffffffff];
    const pick = <T,>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
    switch (Math.floor(rand() * 7)) {
        case 0: case 1: return gguf.u32(pick(u32s));
        case 2: return gguf.i32(pick([-1, -2147483648, 5]));
        case 3: return gguf.f32(pick([NaN, Infinity, -Infinity, -1, 0, 1e30, 1e-30]));
        case 4: return gguf.str(pick(["bogus", "", "yarn", "none", "linear"]));
        case 5: {
            const length = pick([nLayer, nLayer + 1, 1, 0]);
            return {type: GgufValueType.ARRAY, itemType: GgufValueType.UINT32, value: Array.from({length}, () => pick(u32s.slice(0, 6)))};
        }
        default: return null; // drop the key
    }
}

/** `count` mutants of `model` (an nLayer-layer llama), each with one or two keys changed. */
export function metadataMutants(model: Buffer, nLayer: number, count: number, rand: () => number): {edits: string, bytes: Buffer}[] {
    return Array.from({length: count}, () => {
        const edits: Record<string, GgufValue | null> = {};
        for (let n = rand() < 0.7 ? 1 : 2; n > 0; n--) edits[KEYS[Math.floor(rand() * KEYS.length)]!] = oddValue(rand, nLayer);
        const described = Object.entries(edits).map(([k, v]) => `${k}=${v == null ? "(dropped)" : JSON.stringify(v.value)}`).join(" ");
        return {edits: described, bytes: editGgufMetadata(model, edits)};
    });
}
