/**
 * A cross-process lock (an exclusive mkdir) around read-modify-write of the preset store, so two running
 * instances saving presets at once do not lose each other's presets. A lock older than STALE_MS is taken over
 * (its owner crashed).
 */
import {mkdirSync, rmSync, statSync} from "node:fs";

const STALE_MS = 10_000;
const WAIT_MS = 5_000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

export function withFileLock<T>(lockPath: string, work: () => T): T {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
        try {
            mkdirSync(lockPath);
            break;
        } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
            try {
                if (Date.now() - statSync(lockPath).mtimeMs > STALE_MS) rmSync(lockPath, {recursive: true, force: true});
            } catch { /* released meanwhile */ }
            if (Date.now() > deadline) throw new Error(`could not lock ${lockPath} (another steer-chat is saving; try again)`);
            Atomics.wait(sleeper, 0, 0, 10);
        }
    }
    try {
        return work();
    } finally {
        rmSync(lockPath, {recursive: true, force: true});
    }
}
