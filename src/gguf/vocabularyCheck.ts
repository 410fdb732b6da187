/**
 * Checks a model's vocabulary as llama-vocab.cpp (llama_vocab::impl::load) reads it, for what makes llama.cpp abort
 * the process (GGML_ASSERT, or a std::out_of_range no one catches) instead of failing the load:
 * - two tokens with the same text (GGML_ASSERT(id_to_token.size() == token_to_id.size())), the text read as a C
 *   string, so "a\0x" and "a\0y" are the same token; an empty token (llama.cpp renames it "[EMPTY_<id>]");
 * - no tokens at all;
 * - a SentencePiece vocabulary (tokenizer.ggml.model = llama) that cannot spell every byte: its tokenizer falls back
 *   to the byte tokens <0x00>…<0xFF> for text it has no piece for, with token_to_id.at() (out_of_range);
 * - a byte token (token type 6) whose text is not <0xXX> (token_to_byte reads text.substr(3, 2)), or any byte token
 *   in a WordPiece (bert) vocabulary (token_to_byte: GGML_ABORT("fatal error"));
 * - a WordPiece vocabulary on a model that is not a BERT-style encoder;
 * - special tokens the tokenizer must add (BOS, EOS, SEP) that resolve to no token, as llama.cpp resolves them:
 *   the tokenizer type's default, dropped when out of range, replaced by the file's id when in range.
 * Pure.
 */
import {quoted, type GgufMetadataValue} from "./ggufHeaderCheck.js";

type Metadata = ReadonlyMap<string, GgufMetadataValue>;
type VocabType = "spm" | "wpm" | "bpe" | "ugm" | "rwkv" | "plamo2" | "other";

const TOKEN_TYPE_BYTE = 6;
const BYTE_TOKEN = /^<0x[0-9A-Fa-f]{2}>$/;

/** the defaults llama-vocab.cpp sets per tokenizer type before reading the file's ids and add_* flags */
const DEFAULTS: Record<VocabType, {bos: number, eos: number, sep: number, addBos: boolean, addEos: boolean}> = {
    spm: {bos: 1, eos: 2, sep: -1, addBos: true, addEos: false},
    wpm: {bos: 101, eos: -1, sep: 102, addBos: true, addEos: false},
    bpe: {bos: 11, eos: 11, sep: -1, addBos: false, addEos: false},
    ugm: {bos: -1, eos: 1, sep: -1, addBos: false, addEos: true},
    rwkv: {bos: -1, eos: -1, sep: -1, addBos: false, addEos: false},
    plamo2: {bos: 1, eos: 2, sep: -1, addBos: false, addEos: false},
    other: {bos: -1, eos: -1, sep: -1, addBos: false, addEos: false}
};

function vocabType(model: string): VocabType {
    switch (model) {
        case "llama": return "spm";
        case "bert": return "wpm";
        case "gpt2": case "hybriddna": case "whitespace": case "gemma4": return "bpe";
        case "t5": return "ugm";
        case "rwkv": return "rwkv";
        case "plamo2": return "plamo2";
        default: return "other";
    }
}

/** a token kept by the header walk (latin1: one char per byte) as readable text for a message */
function shown(token: string): string {
    return quoted(Buffer.from(token, "latin1").toString("utf8"), 40);
}

function flag(metadata: Metadata, key: string, fallback: boolean): boolean {
    const v = metadata.get(key);
    return v?.kind === "bool" ? v.value : fallback;
}

/** a special token id as llama.cpp resolves it: the default unless out of range, the file's id when in range */
function specialId(metadata: Metadata, key: string, fallback: number, nTokens: number): number {
    let id = fallback >= nTokens ? -1 : fallback;
    const v = metadata.get(key);
    // llama.cpp reads the id as a u32 (a key of another type fails the load with an error of its own)
    if (v?.kind === "number" && v.ggufType === 4 && v.value < nTokens) id = v.value;
    return id;
}

function checkTokens(tokens: readonly (string | undefined)[]): string | undefined {
    if (tokens.length === 0) return "tokenizer.ggml.tokens holds no tokens";
    const seen = new Map<string, number>();
    for (const [id, token] of tokens.entries()) {
        if (token == null) continue; // longer than the walk keeps: never equal to one it keeps
        if (token === "") return `token ${id} of tokenizer.ggml.tokens is empty`;
        const first = seen.get(token);
        if (first != null) return `tokens ${first} and ${id} of tokenizer.ggml.tokens are both ${shown(token)}`;
        seen.set(token, id);
    }
    return undefined;
}

type Tokens = readonly (string | undefined)[];

function checkByteTokens(tokens: Tokens, types: readonly number[] | undefined, type: VocabType): string | undefined {
    if (types == null) return undefined;
    for (const [id, token] of tokens.entries()) {
        if (types[id] !== TOKEN_TYPE_BYTE) continue;
        if (type === "wpm")
            return `token ${id} is a byte token (tokenizer.ggml.token_type 6), which a bert (WordPiece) vocabulary cannot have`;
        if ((type === "spm" || type === "ugm" || type === "bpe") && !BYTE_TOKEN.test(token ?? ""))
            return `token ${id} is a byte token (tokenizer.ggml.token_type 6) but its text ${shown(token ?? "")} is not <0xXX>`;
    }
    return undefined;
}

/** SentencePiece spells text it has no piece for byte by byte: <0xXX>, else the byte itself as a token */
function checkByteFallback(tokens: readonly (string | undefined)[]): string | undefined {
    const texts = new Set(tokens);
    for (let byte = 0; byte < 256; byte++) {
        const hex = byte.toString(16).toUpperCase().padStart(2, "0");
        if (!texts.has(`<0x${hex}>`) && !texts.has(String.fromCharCode(byte)))
            return `the SentencePiece (llama) vocabulary has no byte token <0x${hex}>, which llama.cpp needs to read text it has no token for`;
    }
    return undefined;
}

/**
 * What in the vocabulary would make llama.cpp abort (not fail) while loading the model or reading text with it;
 * undefined when nothing does, or when the file has no vocabulary llama.cpp would read (it reports that itself).
 */
export function vocabularyProblem(metadata: Metadata, architecture: string): string | undefined {
    const model = metadata.get("tokenizer.ggml.model");
    if (model?.kind !== "string") return undefined;
    const list = metadata.get("tokenizer.ggml.tokens");
    // a missing or mistyped list, or one too large to keep, is llama.cpp's to refuse (it throws, it does not abort)
    if (list?.kind !== "array" || list.strings == null) return undefined;
    const tokens = list.strings;
    const type = vocabType(model.value);
    if (type === "wpm" && !architecture.includes("bert"))
        return `tokenizer.ggml.model is "bert" (a WordPiece vocabulary, for BERT-style encoders) in a ${architecture} model`;
    const typesValue = metadata.get("tokenizer.ggml.token_type");
    const types = typesValue?.kind === "array" && typesValue.length >= tokens.length ? typesValue.items : undefined;
    const problem = checkTokens(tokens) ?? checkByteTokens(tokens, types, type) ?? (type === "spm" ? checkByteFallback(tokens) : undefined);
    if (problem) return problem;
    const defaults = DEFAULTS[type];
    const n = tokens.length;
    const bos = specialId(metadata, "tokenizer.ggml.bos_token_id", defaults.bos, n);
    const eos = specialId(metadata, "tokenizer.ggml.eos_token_id", defaults.eos, n);
    const sep = specialId(metadata, "tokenizer.ggml.seperator_token_id", defaults.sep, n);
    const addBos = flag(metadata, "tokenizer.ggml.add_bos_token", defaults.addBos);
    const addEos = flag(metadata, "tokenizer.ggml.add_eos_token", defaults.addEos);
    // the WordPiece tokenizer adds BOS and SEP whatever the flags say
    if ((addBos || type === "wpm") && bos < 0 && type !== "rwkv" && type !== "other")
        return `the tokenizer adds a BOS token, but tokenizer.ggml.bos_token_id is missing or not below the ${n} tokens`;
    if (addEos && eos < 0 && type !== "rwkv" && type !== "other")
        return `the tokenizer adds an EOS token, but tokenizer.ggml.eos_token_id is missing or not below the ${n} tokens`;
    if (type === "wpm" && sep < 0)
        return `the bert tokenizer adds a SEP token, but tokenizer.ggml.seperator_token_id is missing or not below the ${n} tokens`;
    return undefined;
}
