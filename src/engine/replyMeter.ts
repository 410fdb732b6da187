/**
 * One reply's clock, as llama-cli reports it: the prompt phase (start of the turn to the first token, over the
 * prompt tokens evaluated) and the generation phase (first token to last). Raw generation (generateTokens) and
 * node-llama-cpp's chat (the wrapper conversation) both time their replies with it, so their figures mean the same.
 */

export type ReplyTiming = {firstTokenSeconds: number, promptTokens: number, promptTokensPerSecond: number};

export class ReplyMeter {
    private firstAt: number | undefined;
    private lastAt = 0;
    private count = 0;
    /** when the turn started: the prompt phase is measured from here */
    readonly startedAt: number;

    /** @param now the clock, in milliseconds (default `performance.now`) */
    constructor(private readonly now: () => number = () => performance.now()) {
        this.startedAt = now();
    }

    /** records that `count` tokens (default 1) were generated just now */
    tokens(count = 1) {
        if (count <= 0) return;
        const at = this.now();
        if (this.count === 0) this.firstAt = at;
        this.lastAt = at;
        this.count += count;
    }

    /** the tokens recorded */
    get tokenCount() {
        return this.count;
    }

    /** tokens per second of the generation phase: the tokens after the first, over the time from the first to the last */
    tokensPerSecond(): number {
        if (this.firstAt == null || this.count < 2) return 0;
        const seconds = (this.lastAt - this.firstAt) / 1000;
        return seconds > 0 ? (this.count - 1) / seconds : 0;
    }

    /** the prompt phase, given how many prompt tokens were evaluated for the reply; undefined before a first token */
    timing(promptTokens: number): ReplyTiming | undefined {
        if (this.firstAt == null) return undefined;
        const firstTokenSeconds = Math.max(0, this.firstAt - this.startedAt) / 1000;
        return {firstTokenSeconds, promptTokens, promptTokensPerSecond: firstTokenSeconds > 0 ? promptTokens / firstTokenSeconds : 0};
    }
}
