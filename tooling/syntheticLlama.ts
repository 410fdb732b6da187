/**
 * Builds small llama-architecture GGUF models with seeded random weights and a tiny SentencePiece vocabulary.
 * Tests use them so they never need a download; benchmarks use larger shapes of the same thing.
 * The vocabulary is readable words so generated text can be eyeballed.
 */
import {gguf, GgufTensor, GgufValue, writeGguf} from "../src/gguf/ggufWriter.js";
import {seededRandom} from "../src/random.js";

export {seededRandom};

export type SyntheticLlamaOptions = {
    nEmbd?: number,
    nLayer?: number,
    nHead?: number,
    nHeadKv?: number,
    nFf?: number,
    contextLength?: number,
    seed?: number,
    name?: string,
    /** a Jinja chat template to embed, so chat wrappers have something to resolve */
    chatTemplate?: string,
    /** changes the metadata and tensors before they are written (the crafted-model tests break them on purpose) */
    edit?: (metadata: Record<string, GgufValue>, tensors: GgufTensor[]) => void
};

export const SYNTHETIC_WORDS = [
    "the", "cat", "dog", "sat", "on", "mat", "sun", "moon", "happy", "sad", "red", "blue", "tree", "run", "jump",
    "big", "small", "bird", "sang", "a", "and", "was", "is", "girl", "boy", "played", "ball", "park", "day", "night"
];

const TOKEN_TYPE = {NORMAL: 1, UNKNOWN: 2, CONTROL: 3, BYTE: 6} as const;

/** The SentencePiece-style vocabulary: specials, 256 byte tokens, single characters, then word prefixes. */
export function syntheticVocab(): {tokens: string[], scores: number[], types: number[]} {
    const tokens: string[] = ["<unk>", "<s>", "</s>"];
    const types: number[] = [TOKEN_TYPE.UNKNOWN, TOKEN_TYPE.CONTROL, TOKEN_TYPE.CONTROL];
    for (let i = 0; i < 256; i++) {
        tokens.push(`<0x${i.toString(16).toUpperCase().padStart(2, "0")}>`);
        types.push(TOKEN_TYPE.BYTE);
    }
    const pieces = new Set<string>();
    for (const ch of "\u2581abcdefghijklmnopqrstuvwxyz.,!?") pieces.add(ch);
    for (const word of SYNTHETIC_WORDS) {
        const piece = "\u2581" + word;
        // every prefix must exist so SentencePiece's pairwise merges can reach the whole word
        for (let len = 2; len <= piece.length; len++) pieces.add(piece.slice(0, len));
    }
    for (const p of pieces) {
        tokens.push(p);
        types.push(TOKEN_TYPE.NORMAL);
    }
    const scores = tokens.map((t, i) => (types[i] === TOKEN_TYPE.NORMAL ? t.length * 1.0 - i * 1e-4 : 0));
    return {tokens, scores, types};
}


/** Shrinks the output rows of special and byte tokens so greedy text is made of words, not raw bytes. */
function readableOutput(output: GgufTensor, nEmbd: number, types: number[]): GgufTensor {
    types.forEach((type, token) => {
        if (type === TOKEN_TYPE.NORMAL) return;
        for (let i = 0; i < nEmbd; i++) output.data[token * nEmbd + i]! *= 0.05;
    });
    return output;
}

export function buildSyntheticLlama(options: SyntheticLlamaOptions = {}): Buffer {
    const {
        nEmbd = 32, nLayer = 4, nHead = 4, nHeadKv = nHead, nFf = nEmbd * 2, contextLength = 512, seed = 1,
        name = "synthetic-llama", chatTemplate, edit
    } = options;
    const vocab = syntheticVocab();
    const nVocab = vocab.tokens.length;
    const headDim = nEmbd / nHead;
    if (!Number.isInteger(headDim)) throw new Error(`nEmbd ${nEmbd} is not divisible by nHead ${nHead}`);
    const nEmbdKv = headDim * nHeadKv;
    const rand = seededRandom(seed);
    const randomTensor = (tensorName: string, dims: number[], scale: number): GgufTensor => {
        const n = dims.reduce((a, b) => a * b, 1);
        const data = new Float32Array(n);
        for (let i = 0; i < n; i++) data[i] = (rand() * 2 - 1) * scale;
        return {name: tensorName, dims, data};
    };
    const ones = (tensorName: string, n: number): GgufTensor => ({name: tensorName, dims: [n], data: new Float32Array(n).fill(1)});

    const tensors: GgufTensor[] = [
        randomTensor("token_embd.weight", [nEmbd, nVocab], 1),
        ones("output_norm.weight", nEmbd),
        readableOutput(randomTensor("output.weight", [nEmbd, nVocab], 1 / Math.sqrt(nEmbd)), nEmbd, vocab.types)
    ];
    const w = 1 / Math.sqrt(nEmbd);
    for (let i = 0; i < nLayer; i++) {
        tensors.push(
            ones(`blk.${i}.attn_norm.weight`, nEmbd),
            randomTensor(`blk.${i}.attn_q.weight`, [nEmbd, nEmbd], w),
            randomTensor(`blk.${i}.attn_k.weight`, [nEmbd, nEmbdKv], w),
            randomTensor(`blk.${i}.attn_v.weight`, [nEmbd, nEmbdKv], w),
            randomTensor(`blk.${i}.attn_output.weight`, [nEmbd, nEmbd], w),
            ones(`blk.${i}.ffn_norm.weight`, nEmbd),
            randomTensor(`blk.${i}.ffn_gate.weight`, [nEmbd, nFf], w),
            randomTensor(`blk.${i}.ffn_up.weight`, [nEmbd, nFf], w),
            randomTensor(`blk.${i}.ffn_down.weight`, [nFf, nEmbd], 1 / Math.sqrt(nFf))
        );
    }

    const metadata: Record<string, GgufValue> = {
        "general.architecture": gguf.str("llama"),
        "general.name": gguf.str(name),
        "general.file_type": gguf.u32(0),
        "llama.context_length": gguf.u32(contextLength),
        "llama.embedding_length": gguf.u32(nEmbd),
        "llama.block_count": gguf.u32(nLayer),
        "llama.feed_forward_length": gguf.u32(nFf),
        "llama.attention.head_count": gguf.u32(nHead),
        "llama.attention.head_count_kv": gguf.u32(nHeadKv),
        "llama.rope.dimension_count": gguf.u32(headDim),
        "llama.attention.layer_norm_rms_epsilon": gguf.f32(1e-5),
        "llama.vocab_size": gguf.u32(nVocab),
        "tokenizer.ggml.model": gguf.str("llama"),
        "tokenizer.ggml.tokens": gguf.strArr(vocab.tokens),
        "tokenizer.ggml.scores": gguf.f32Arr(vocab.scores),
        "tokenizer.ggml.token_type": gguf.i32Arr(vocab.types),
        "tokenizer.ggml.bos_token_id": gguf.u32(1),
        "tokenizer.ggml.eos_token_id": gguf.u32(2),
        "tokenizer.ggml.unknown_token_id": gguf.u32(0),
        "tokenizer.ggml.add_bos_token": gguf.bool(true),
        "tokenizer.ggml.add_eos_token": gguf.bool(false)
    };
    if (chatTemplate != null) metadata["tokenizer.chat_template"] = gguf.str(chatTemplate);
    edit?.(metadata, tensors);
    return writeGguf(metadata, tensors);
}
