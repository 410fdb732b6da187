import type {Token} from "node-llama-cpp";

type Detokenize = (tokens: readonly Token[], specialTokens?: boolean, lastTokens?: readonly Token[]) => string;

const REPLACEMENT_CHAR = "\uFFFD";
/** a UTF-8 character spans at most 4 byte tokens; past that a replacement character is real output */
const MAX_PENDING_TOKENS = 4;

/**
 * Turns generated tokens into text chunks as they arrive, holding back tokens that end in the middle of a
 * multi-byte character. Detokenizes only the new tokens (with a little context for leading-space handling),
 * so the cost per token stays constant on long replies.
 */
export class IncrementalDetokenizer {
    private pending: Token[] = [];
    private readonly emitted: Token[];

    /** `precedingTokens` (the prompt) decide whether the first token's leading space is kept, as llama.cpp does. */
    constructor(private readonly detokenize: Detokenize, precedingTokens: readonly Token[] = []) {
        this.emitted = precedingTokens.slice(-8);
    }

    /** Adds one token; returns the text it completes (possibly empty). */
    push(token: Token): string {
        this.pending.push(token);
        const text = this.detokenize(this.pending, false, this.emitted.slice(-8));
        if (text.endsWith(REPLACEMENT_CHAR) && this.pending.length < MAX_PENDING_TOKENS) return "";
        return this.release(text);
    }

    /** Returns whatever is still held back (at the end of a reply). */
    flush(): string {
        if (this.pending.length === 0) return "";
        return this.release(this.detokenize(this.pending, false, this.emitted.slice(-8)));
    }

    private release(text: string): string {
        this.emitted.push(...this.pending);
        this.pending = [];
        return text;
    }
}
