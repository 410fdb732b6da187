/**
 * The prompt history on disk: one JSON string per line (so a multi-line prompt stays one entry) in the data folder.
 * Read once when the chat starts; each new entry is appended asynchronously, so a slow disk never holds up a key.
 * Read and written as every file steer-chat keeps (userFiles.ts, atomicWrite.ts): a regular file only, never through
 * a symbolic link (a prompt is never appended into a link's target), never blocking on a FIFO, bounded in size.
 */
import path from "node:path";
import {appendToFile, writeFileAtomic} from "../engine/atomicWrite.js";
import {readRegularFileIfExists} from "../engine/userFiles.js";
import {dataDir} from "../config/paths.js";
import {HISTORY_LIMIT} from "./promptHistory.js";

export const HISTORY_FILE_NAME = "prompt-history.jsonl";

/** what the history file may grow to before it is not read (a thousand pasted pages) */
export const MAX_HISTORY_BYTES = 64 * 1024 * 1024;

export function historyFilePath(dir = dataDir()): string {
    return path.join(dir, HISTORY_FILE_NAME);
}

/**
 * The saved entries, oldest first (the newest `limit`). Lines that are not a JSON string are skipped; a file grown
 * past twice the limit is cut back to the limit here, once, rather than on every append. A file that cannot be read
 * (a FIFO, a link, too large) throws a UserFacingError naming it.
 */
export function readHistoryFile(file: string, limit = HISTORY_LIMIT): string[] {
    const bytes = readRegularFileIfExists(file, "The prompt history file", {maxBytes: MAX_HISTORY_BYTES, noFollow: true});
    if (bytes == null) return [];
    const lines = bytes.toString("utf8").split("\n").filter((l) => l.trim() !== "");
    const entries: string[] = [];
    for (const line of lines) {
        try {
            const value: unknown = JSON.parse(line);
            if (typeof value === "string") entries.push(value);
        } catch {
            // a line cut short by a crash, or not ours: skip it
        }
    }
    const kept = entries.slice(-limit);
    if (lines.length > 2 * limit) {
        try {
            writeFileAtomic(file, kept.map((e) => JSON.stringify(e) + "\n").join(""));
        } catch { /* cut back another time (a full disk): the entries are read all the same */ }
    }
    return kept;
}

/** appends one entry to the file (creating its folder the first time), one append at a time so the order holds */
export function historyFileAppender(file: string): (entry: string) => Promise<void> {
    // a failure (a link or FIFO there, a full disk) is a FileWriteError naming the file, which the caller reports
    let queue: Promise<unknown> = Promise.resolve();
    return (entry) => {
        const appended = queue.then(() => appendToFile(file, JSON.stringify(entry) + "\n"));
        queue = appended.catch(() => undefined);
        return appended;
    };
}
