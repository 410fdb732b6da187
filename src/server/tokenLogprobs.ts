/**
 * OpenAI's `logprobs`: which of a reply's tokens a response reports, and in which shape. Pure logic: the tokens come
 * with their log-probabilities from the generation loop (generateTokens.ts), their text from the model.
 *
 * A token is reported once its text was shown: as a stream goes, with the chunk that completes its text (the stop
 * scanner holds back what may start a stop string, the detokenizer a character's first bytes); at the end, the
 * tokens whose text begins before the reply's end (a stop string cuts the reply: the tokens after the cut are not
 * part of it, as llama-server leaves them out), and a trailing token without text of its own.
 */

/** a token as the API writes it: its text, and its bytes (UTF-8; one byte of a character split across tokens) */
export type TokenText = {token: string, bytes: number[]};

/** one reported token: its log-probability, its step's most probable tokens, and where its text starts in the reply */
export type LogprobEntry = TokenText & {logprob: number, top: (TokenText & {logprob: number})[], offset: number};

/** what OpenAI writes for a probability that underflowed (a log-probability that is not a finite number) */
const FLOOR = -9999;

const finite = (logprob: number) => (Number.isFinite(logprob) ? logprob : FLOOR);

/**
 * Follows a reply's tokens against its text. `T` carries `textEnd`: the reply's (raw) text length once the token
 * was written.
 */
export class LogprobTracker<T extends {textEnd: number}> {
    private readonly entries: T[] = [];
    private sent = 0;

    push(entry: T) {
        this.entries.push(entry);
    }

    /** the tokens whose text is now wholly shown (`shownLength` characters of the reply), each once */
    shown(shownLength: number): {entry: T, offset: number}[] {
        const out: {entry: T, offset: number}[] = [];
        while (this.sent < this.entries.length && this.entries[this.sent]!.textEnd <= shownLength) out.push(this.at(this.sent++));
        return out;
    }

    /**
     * At the reply's end: `rawLength` is the text the tokens made (what the detokenizer still held at the end belongs
     * to the last token), `finalLength` the reply's length once cut at a stop string. Returns every token kept, and
     * those of them not reported yet.
     */
    finish(rawLength: number, finalLength: number): {kept: {entry: T, offset: number}[], rest: {entry: T, offset: number}[]} {
        const last = this.entries.at(-1);
        if (last != null && last.textEnd < rawLength) this.entries[this.entries.length - 1] = {...last, textEnd: rawLength};
        const kept: {entry: T, offset: number}[] = [];
        for (let i = 0; i < this.entries.length; i++) {
            const at = this.at(i);
            if (at.offset < finalLength || at.entry.textEnd <= finalLength) kept.push(at);
            else break;
        }
        const rest = kept.slice(this.sent);
        this.sent = Math.max(this.sent, kept.length);
        return {kept, rest};
    }

    private at(i: number): {entry: T, offset: number} {
        return {entry: this.entries[i]!, offset: i === 0 ? 0 : this.entries[i - 1]!.textEnd};
    }
}

/** a chat choice's (or chunk's) `logprobs`: {content: [{token, logprob, bytes, top_logprobs: [...]}], refusal: null} */
export function chatLogprobs(entries: readonly LogprobEntry[]) {
    return {
        content: entries.map((e) => ({token: e.token, logprob: finite(e.logprob), bytes: e.bytes,
            top_logprobs: e.top.map((t) => ({token: t.token, logprob: finite(t.logprob), bytes: t.bytes}))})),
        refusal: null
    };
}

/**
 * A completion choice's (or chunk's) `logprobs`, OpenAI's legacy shape: the tokens, their log-probabilities, each
 * step's top tokens as an object from text to log-probability (two tokens with the same text: the more probable one),
 * and each token's offset in the prompt and completion's text (`promptLength`: the prompt's length, as OpenAI counts
 * offsets from the prompt's start).
 */
export function completionLogprobs(entries: readonly LogprobEntry[], promptLength: number) {
    return {
        tokens: entries.map((e) => e.token),
        token_logprobs: entries.map((e) => finite(e.logprob)),
        top_logprobs: entries.map((e) => {
            const top: Record<string, number> = {};
            for (const t of e.top) if (!Object.hasOwn(top, t.token)) top[t.token] = finite(t.logprob);
            return top;
        }),
        text_offset: entries.map((e) => promptLength + e.offset)
    };
}

/**
 * A token's text and bytes from the model's vocabulary: `piece` is its text as the detokenizer writes it after another
 * token (so a leading space stays); a piece that is one byte of a longer character (the detokenizer writes U+FFFD) is
 * named by `byteOf` (the vocabulary's `<0xE2>`), and written as OpenAI writes such tokens, "bytes:\xe2".
 */
export function tokenText(piece: string, byteOf: () => number | undefined): TokenText {
    if (piece.includes("\uFFFD")) {
        const byte = byteOf();
        if (byte != null) return {token: `bytes:\\x${byte.toString(16).padStart(2, "0")}`, bytes: [byte]};
    }
    return {token: piece, bytes: [...new TextEncoder().encode(piece)]};
}
