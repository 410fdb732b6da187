/**
 * A cross-process lock (an exclusive mkdir) around read-modify-write of the preset store, so two running
 * instances saving presets at once do not lose each other's presets. A lock older than STALE_MS is taken over
 * (its owner crashed); one held longer than WAIT_MS by a live instance is a FileLockedError (exit 2, one line).
 * The wait is asynchronous: a synchronous one (Atomics.wait) held the JS thread, so SIGTERM's handlers (Ink's and
 * signal-exit's, which restore the terminal) ran only when the wait ended, 5 s later.
 */
import {mkdirSync, rmSync, statSync} from "node:fs";
import {setTimeout as delay} from "node:timers/promises";
import {UserFacingError} from "../errors.js";

const STALE_MS = 10_000;
const WAIT_MS = 5_000;

/** Another running steer-chat holds the lock past the wait. */
export class FileLockedError extends UserFacingError {
    constructor(readonly lockPath: string) {
        super(`Another steer-chat is saving presets: ${lockPath} has been held for ${WAIT_MS / 1000} s`,
            `try again in a moment (a lock left by a crashed steer-chat is taken over after ${STALE_MS / 1000} s)`);
        this.name = "FileLockedError";
    }
}

/** Runs `work` holding the lock; `onWait` is called once when the lock is found held (a note: "waiting for …"). */
export async function withFileLock<T>(lockPath: string, work: () => T, onWait?: (lockPath: string) => void): Promise<T> {
    const deadline = Date.now() + WAIT_MS;
    let waited = false;
    for (;;) {
        try {
            mkdirSync(lockPath);
            break;
        } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
            try {
                if (Date.now() - statSync(lockPath).mtimeMs > STALE_MS) rmSync(lockPath, {recursive: true, force: true});
            } catch { /* released meanwhile */ }
            if (Date.now() > deadline) throw new FileLockedError(lockPath);
            if (!waited) onWait?.(lockPath);
            waited = true;
            await delay(10);
        }
    }
    try {
        return work();
    } finally {
        rmSync(lockPath, {recursive: true, force: true});
    }
}
