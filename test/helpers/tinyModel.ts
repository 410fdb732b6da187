/**
 * Model files for tests: a tiny synthetic llama GGUF written once per option set (no download needed), and the
 * stories260K model shared by the machine (tests using it skip when it is absent).
 */
import {existsSync, mkdtempSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {buildSyntheticLlama, type SyntheticLlamaOptions} from "../../src/gguf/syntheticLlama.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** ../shared/models/stories260K.gguf relative to the repository root */
export const storiesModelPath = path.resolve(repoRoot, "..", "shared", "models", "stories260K.gguf");
export const hasStoriesModel = existsSync(storiesModelPath);

let dir: string | undefined;
const written = new Map<string, string>();

/** A synthetic llama model file for these options, written to a temp folder the first time it is asked for. */
export function tinyModelPath(options: SyntheticLlamaOptions = {}): string {
    const key = JSON.stringify(Object.entries(options).sort(([a], [b]) => a.localeCompare(b)));
    const existing = written.get(key);
    if (existing != null && existsSync(existing)) return existing;
    dir ??= mkdtempSync(path.join(os.tmpdir(), "steer-tiny-"));
    const file = path.join(dir, `tiny-${written.size}.gguf`);
    writeFileSync(file, buildSyntheticLlama(options));
    written.set(key, file);
    return file;
}

export function tempDir(prefix = "steer-test-"): string {
    return mkdtempSync(path.join(os.tmpdir(), prefix));
}
