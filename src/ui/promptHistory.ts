/**
 * The prompts sent before, for ↑/↓ at the prompt, as shells keep them: the newest last, no blank entries, no entry
 * twice in a row. The line being typed is kept as the draft while ↑ looks back, and ↓ past the newest brings it back.
 * Saving is the caller's (`persist`, see historyFile.ts): it is called with each new entry, off the render path.
 */
export const HISTORY_LIMIT = 1000;

export class PromptHistory {
    private readonly entries: string[];
    /** which entry is shown; entries.length: the draft */
    private index: number;
    private draft = "";
    private failed = false;
    /** told about the first failure to save an entry (later ones are the same problem) */
    onError: ((err: unknown) => void) | undefined;

    constructor(entries: readonly string[] = [], private readonly persist?: (entry: string) => Promise<void>,
        private readonly limit = HISTORY_LIMIT) {
        this.entries = entries.filter((e) => e.trim() !== "").slice(-limit);
        this.index = this.entries.length;
    }

    get all(): readonly string[] {
        return this.entries;
    }

    /** ↑: the entry before the one shown, or undefined at the oldest; `current` is kept when leaving the draft */
    previous(current: string): string | undefined {
        if (this.index === 0) return undefined;
        if (this.index === this.entries.length) this.draft = current;
        this.index--;
        return this.entries[this.index];
    }

    /** ↓: the entry after the one shown, then the draft; undefined when the draft is already shown */
    next(): string | undefined {
        if (this.index >= this.entries.length) return undefined;
        this.index++;
        return this.index === this.entries.length ? this.draft : this.entries[this.index];
    }

    /** a sent prompt: kept (unless blank or the same as the last one) and looking back starts again from the newest */
    add(entry: string): void {
        this.draft = "";
        if (entry.trim() !== "" && this.entries.at(-1) !== entry) {
            this.entries.push(entry);
            if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
            this.persist?.(entry).catch((err: unknown) => {
                if (!this.failed) this.onError?.(err);
                this.failed = true;
            });
        }
        this.index = this.entries.length;
    }

    /** back to the draft position without changing anything (e.g. the line was cleared) */
    reset(): void {
        this.index = this.entries.length;
        this.draft = "";
    }
}
