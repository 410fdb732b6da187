/**
 * An error meant for the person at the terminal: one line saying what is wrong (naming the file or flag)
 * and how to fix it. The CLI prints these without a stack trace; anything else is a bug and shows one with --debug.
 * Whatever a message quotes from a file is made safe here: control characters escaped, the length bounded.
 */
import {displayText} from "./displayText.js";
import {describeSystemError} from "./systemErrors.js";

/** a whole error line: room for two paths and a fix, nothing that floods a terminal */
const LINE_LIMIT = 1000;

export class UserFacingError extends Error {
    readonly hint?: string;

    constructor(message: string, hint?: string) {
        super(displayText(message, LINE_LIMIT));
        this.name = "UserFacingError";
        if (hint != null) this.hint = displayText(hint, LINE_LIMIT);
    }

    toLine(): string {
        return this.hint ? `${this.message} — ${this.hint}` : this.message;
    }
}

/** The error as one line for the user: a UserFacingError, or a Node system error (ENOSPC, EIO, ...) explained. */
export function asUserFacing(err: unknown): UserFacingError | undefined {
    if (err instanceof UserFacingError) return err;
    const system = describeSystemError(err);
    return system && new UserFacingError(system.message, system.hint);
}

export function errorMessage(err: unknown): string {
    const userFacing = asUserFacing(err);
    if (userFacing) return userFacing.toLine();
    return displayText(err instanceof Error ? err.message : String(err), LINE_LIMIT);
}

/** A vector name that no vector folder has (a path that does not exist is a plain UserFacingError). */
export class VectorNotFoundError extends UserFacingError {
    constructor(readonly vectorName: string, folders: readonly string[]) {
        super(`No vector named "${vectorName}"`, `looked in ${folders.join(", ")}; run steer-chat vectors to list them, or pass a file path`);
        this.name = "VectorNotFoundError";
    }
}

/** A vector made for another model: its width (n_embd) is not the model's. */
export class VectorMismatchError extends UserFacingError {
    constructor(readonly vectorName: string, source: string, readonly vectorEmbd: number, readonly modelEmbd: number, modelHint?: string) {
        super(`Control vector ${source} has n_embd ${vectorEmbd}, but the model has ${modelEmbd}`,
            `"${vectorName}" was made for another model${modelHint ? ` (${modelHint})` : ""}; train one for this model`);
        this.name = "VectorMismatchError";
    }
}

/** A name that is not among the loaded vectors (the steering panel's and the slash commands' targets). */
export class VectorNotLoadedError extends UserFacingError {
    constructor(readonly vectorName: string, loaded: readonly string[]) {
        super(`No vector named "${vectorName}" is loaded`, loaded.length > 0 ? `loaded: ${loaded.join(", ")}` : "add one with /vector add NAME");
        this.name = "VectorNotLoadedError";
    }
}
