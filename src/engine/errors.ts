/**
 * An error meant for the person at the terminal: one line saying what is wrong (naming the file or flag)
 * and how to fix it. The CLI prints these without a stack trace; anything else is a bug and shows one with --debug.
 */
export class UserFacingError extends Error {
    constructor(message: string, readonly hint?: string) {
        super(message);
        this.name = "UserFacingError";
    }

    toLine(): string {
        return this.hint ? `${this.message} — ${this.hint}` : this.message;
    }
}

export function errorMessage(err: unknown): string {
    if (err instanceof UserFacingError) return err.toLine();
    if (err instanceof Error) return err.message;
    return String(err);
}
