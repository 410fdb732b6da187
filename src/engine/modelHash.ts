/**
 * A model file's SHA-256, cached by path, size and modification time (big models are hashed once): what per-model
 * caches (trained recipe vectors, strength calibrations) are keyed by.
 */
import {createHash} from "node:crypto";
import {createReadStream, readFileSync, statSync} from "node:fs";
import path from "node:path";
import {dataDir} from "../config/paths.js";
import {writeFileAtomic} from "./atomicWrite.js";

export async function modelFileHash(file: string): Promise<string> {
    const stat = statSync(file);
    const cacheFile = path.join(dataDir(), "model-hashes.json");
    let cache: Record<string, {size: number, mtimeMs: number, sha256: string}> = {};
    try {
        cache = JSON.parse(readFileSync(cacheFile, "utf8"));
    } catch { /* no cache yet */ }
    const known = cache[file];
    if (known && known.size === stat.size && known.mtimeMs === stat.mtimeMs) return known.sha256;
    const hash = createHash("sha256");
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    const sha256 = hash.digest("hex");
    cache[file] = {size: stat.size, mtimeMs: stat.mtimeMs, sha256};
    writeFileAtomic(cacheFile, JSON.stringify(cache, null, 2), {createFolder: true});
    return sha256;
}
