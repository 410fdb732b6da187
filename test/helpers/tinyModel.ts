/**
 * Model files for tests: a tiny synthetic llama GGUF written once per option set (no download needed), and the
 * stories260K model the package ships as its built-in demo (models/stories260K.gguf).
 */
import {existsSync, mkdtempSync, rmSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {afterAll} from "vitest";
import {buildSyntheticLlama, type SyntheticLlamaOptions} from "../../tooling/syntheticLlama.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** the built-in demo model, shipped in the package */
export const storiesModelPath = path.resolve(repoRoot, "models", "stories260K.gguf");

let dir: string | undefined;
const written = new Map<string, string>();
const created: string[] = [];

// Test files run in isolation (each imports this module afresh), so this removes what the importing file made.
// Some test models are tens of MB: do not leave them behind.
afterAll(() => {
    for (const d of created.splice(0)) rmSync(d, {recursive: true, force: true});
    written.clear();
    dir = undefined;
});

/** A synthetic llama model file for these options, written to a temp folder the first time it is asked for. */
export function tinyModelPath(options: SyntheticLlamaOptions = {}): string {
    const key = JSON.stringify(Object.entries(options).sort(([a], [b]) => a.localeCompare(b)));
    const existing = written.get(key);
    if (existing != null && existsSync(existing)) return existing;
    dir ??= tempDir("steer-tiny-");
    const file = path.join(dir, `tiny-${written.size}.gguf`);
    writeFileSync(file, buildSyntheticLlama(options));
    written.set(key, file);
    return file;
}

/** A fresh temp folder, removed after the importing test file has run. */
export function tempDir(prefix = "steer-tmp-"): string {
    const folder = mkdtempSync(path.join(os.tmpdir(), prefix));
    created.push(folder);
    return folder;
}
