/**
 * What the KV cache holds and under which settings it was evaluated, and evaluating many tokens in full batches.
 *
 * A control vector is added at every position, so a token evaluated under one steering is not valid under another:
 * after a change, the cache's keys and values still carry the old steering. The ledger records, per cached token,
 * the settings it was evaluated under, so the conversation can say how much of its history is stale (policy
 * `keep`) or drop exactly the stale part (policy `reeval`). Stale is everything from the first token evaluated under
 * other settings on: a later token attended to it, so it differs from a fresh evaluation too.
 */
import type {LlamaContextSequence, Token} from "node-llama-cpp";

/**
 * What a change of settings (new steering) does to the evaluated history:
 * - `reeval`: the next turn evaluates the history again under the new settings (a reply depends only on the
 *   history and the current settings);
 * - `keep`: the cache is kept, so the change applies to new tokens only (fast; the history stays as evaluated).
 */
export type HistoryPolicy = "reeval" | "keep";
export const HISTORY_POLICIES: readonly HistoryPolicy[] = ["reeval", "keep"];

export type Progress = (done: number, total: number) => void;

/** The settings key each cached token was evaluated under, aligned with the sequence's context tokens. */
export class EvaluationLedger {
    private keys: string[] = [];

    /** the keys, to put back with restore() (holdEvaluation) */
    copy(): readonly string[] {
        return [...this.keys];
    }

    restore(keys: readonly string[]) {
        this.keys = [...keys];
    }

    /** tokens past `length` left the cache */
    truncate(length: number) {
        if (length < this.keys.length) this.keys.length = length;
    }

    /** the cache now holds `length` tokens; those not recorded yet were evaluated under `key` */
    extend(length: number, key: string) {
        while (this.keys.length < length) this.keys.push(key);
    }

    /** the index of the first token evaluated under a key other than `key` (the length when none) */
    firstStale(key: string): number {
        const index = this.keys.findIndex((k) => k !== key);
        return index < 0 ? this.keys.length : index;
    }

    /**
     * How many cached tokens differ from a fresh evaluation under `key`: from the first one evaluated under other
     * settings on, since every later token attended to it.
     */
    staleCount(key: string): number {
        return this.keys.length - this.firstStale(key);
    }

    /** How many cached tokens follow the first one evaluated under none of `keys` (settings older than those). */
    countFromOther(keys: readonly string[]): number {
        const index = this.keys.findIndex((k) => !keys.includes(k));
        return index < 0 ? 0 : this.keys.length - index;
    }
}

/** The length of the common prefix of two token lists. */
export function commonPrefixLength(a: readonly Token[], b: readonly Token[]): number {
    const limit = Math.min(a.length, b.length);
    let i = 0;
    while (i < limit && a[i] === b[i]) i++;
    return i;
}

/**
 * Evaluates tokens into the sequence in full batches of the context's batch size (the last one may be shorter),
 * checking the signal between batches. Returns how many tokens were evaluated; fewer than given when stopped, and
 * what was evaluated stays in the cache as a valid prefix.
 */
export async function evaluateInBatches(sequence: LlamaContextSequence, tokens: readonly Token[],
    {signal, onProgress}: {signal?: AbortSignal, onProgress?: Progress} = {}): Promise<number> {
    const batch = sequence.context.batchSize;
    let done = 0;
    while (done < tokens.length && !signal?.aborted) {
        const chunk = tokens.slice(done, done + batch);
        await sequence.evaluateWithoutGeneratingNewTokens(chunk);
        done += chunk.length;
        onProgress?.(done, tokens.length);
    }
    return done;
}

/**
 * Splits a prompt into the part worth evaluating ahead in whole batches and the tail that generation evaluates
 * (1 to batchSize tokens), so the batches are the ones a single evaluation would make.
 */
export function splitForPrefill(length: number, batchSize: number): {head: number, tail: number} {
    if (length <= batchSize) return {head: 0, tail: length};
    const tail = ((length - 1) % batchSize) + 1;
    return {head: length - tail, tail};
}
