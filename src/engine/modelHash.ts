/**
 * A model file's SHA-256, cached by path, size and modification time (big models are hashed once): what per-model
 * caches (trained recipe vectors, strength calibrations) are keyed by. The cache is only a cache: one that cannot be
 * read (not a regular file, damaged) or written (a full disk) is skipped, and the model is hashed again.
 */
import {createHash} from "node:crypto";
import {closeSync, createReadStream, fstatSync} from "node:fs";
import path from "node:path";
import {dataDir} from "../config/paths.js";
import {writeCacheFile} from "./atomicWrite.js";
import {openRegularFile, readCacheFile} from "./userFiles.js";

type HashCache = Record<string, {size: number, mtimeMs: number, sha256: string}>;

/** far more than the hashes of every model one person keeps (about 200 bytes each) */
const MAX_CACHE_BYTES = 16 * 1024 * 1024;

export function modelHashesFile(): string {
    return path.join(dataDir(), "model-hashes.json");
}

function readHashCache(file: string): HashCache {
    const bytes = readCacheFile(file, MAX_CACHE_BYTES);
    if (bytes == null) return {};
    try {
        const value: unknown = JSON.parse(bytes.toString("utf8"));
        if (value == null || typeof value !== "object" || Array.isArray(value)) return {};
        // only well-formed entries are kept (and so written back): nothing else of the file is trusted
        return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([, entry]) => isEntry(entry))) as HashCache;
    } catch {
        return {};
    }
}

function isEntry(entry: unknown): entry is HashCache[string] {
    const e = entry as Partial<HashCache[string]> | null;
    return e != null && typeof e === "object" && typeof e.size === "number" && typeof e.mtimeMs === "number"
        && typeof e.sha256 === "string" && /^[0-9a-f]{64}$/.test(e.sha256);
}

export async function modelFileHash(file: string): Promise<string> {
    const cacheFile = modelHashesFile();
    const cache = readHashCache(cacheFile);
    const fd = openRegularFile(file, "Model path");
    const stat = fstatSync(fd);
    const known = Object.hasOwn(cache, file) ? cache[file] : undefined;
    if (known != null && known.size === stat.size && known.mtimeMs === stat.mtimeMs) {
        closeSync(fd);
        return known.sha256;
    }
    const hash = createHash("sha256");
    for await (const chunk of createReadStream("", {fd})) hash.update(chunk as Buffer); // closes fd at its end
    const sha256 = hash.digest("hex");
    cache[file] = {size: stat.size, mtimeMs: stat.mtimeMs, sha256};
    writeCacheFile(cacheFile, JSON.stringify(cache, null, 2));
    return sha256;
}
