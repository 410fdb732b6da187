/**
 * The prompt history on disk: one JSON string per line (so a multi-line prompt stays one entry) in the data folder.
 * Read once when the chat starts; each new entry is appended asynchronously, so a slow disk never holds up a key.
 */
import {appendFile, mkdir} from "node:fs/promises";
import {existsSync, readFileSync} from "node:fs";
import {writeFileAtomic} from "../engine/atomicWrite.js";
import path from "node:path";
import {dataDir} from "../config/paths.js";
import {HISTORY_LIMIT} from "./promptHistory.js";

export const HISTORY_FILE_NAME = "prompt-history.jsonl";

export function historyFilePath(dir = dataDir()): string {
    return path.join(dir, HISTORY_FILE_NAME);
}

/**
 * The saved entries, oldest first (the newest `limit`). Lines that are not a JSON string are skipped; a file grown
 * past twice the limit is cut back to the limit here, once, rather than on every append.
 */
export function readHistoryFile(file: string, limit = HISTORY_LIMIT): string[] {
    if (!existsSync(file)) return [];
    const lines = readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "");
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
    if (lines.length > 2 * limit) writeFileAtomic(file, kept.map((e) => JSON.stringify(e) + "\n").join(""));
    return kept;
}

/** appends one entry to the file (creating its folder the first time), one append at a time so the order holds */
export function historyFileAppender(file: string): (entry: string) => Promise<void> {
    // a folder that cannot be made shows as the append failing (ENOENT, EACCES), which the caller reports
    let queue: Promise<unknown> = mkdir(path.dirname(file), {recursive: true}).catch(() => undefined);
    return (entry) => {
        const appended = queue.then(() => appendFile(file, JSON.stringify(entry) + "\n"));
        queue = appended.catch(() => undefined);
        return appended;
    };
}
