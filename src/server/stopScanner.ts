/**
 * OpenAI's `stop`: the reply ends before the first place any stop string occurs, and the stop string is not part of
 * it. The text arrives in chunks, and a stop string can straddle two of them, so the end of what came is held back
 * while it could still be the start of a stop string; everything before that can be streamed.
 */
export class StopScanner {
    /** text let out so far (streamed) */
    private shown = "";
    /** text after `shown` held back: it may be the start of a stop string */
    private held = "";
    private found = false;

    constructor(private readonly stops: readonly string[]) {}

    /** whether a stop string was found (nothing after it is taken) */
    get stopped(): boolean {
        return this.found;
    }

    /** The reply's text, cut before the first stop string (what was shown and what is held back). */
    get text(): string {
        return this.shown + this.held;
    }

    /** Takes the next chunk; returns the text that can be shown now (none once a stop string was found). */
    push(chunk: string): string {
        if (this.found) return "";
        const pending = this.held + chunk;
        const at = this.firstStop(pending);
        if (at >= 0) {
            this.found = true;
            this.held = "";
            return this.let(pending.slice(0, at));
        }
        const keep = this.partialStopAtEnd(pending);
        this.held = pending.slice(pending.length - keep);
        return this.let(pending.slice(0, pending.length - keep));
    }

    /** At the end of the reply: what was held back (no stop string came to complete it). */
    flush(): string {
        const rest = this.held;
        this.held = "";
        return this.let(rest);
    }

    private let(text: string): string {
        this.shown += text;
        return text;
    }

    /** the index of the earliest stop string in `text`, or -1 */
    private firstStop(text: string): number {
        let first = -1;
        for (const stop of this.stops) {
            const at = text.indexOf(stop);
            if (at >= 0 && (first < 0 || at < first)) first = at;
        }
        return first;
    }

    /** the length of the longest end of `text` that is the start of a stop string */
    private partialStopAtEnd(text: string): number {
        let longest = 0;
        for (const stop of this.stops) {
            for (let n = Math.min(stop.length - 1, text.length); n > longest; n--)
                if (text.endsWith(stop.slice(0, n))) {
                    longest = n;
                    break;
                }
        }
        return longest;
    }
}
