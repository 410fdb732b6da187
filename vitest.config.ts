import {mkdtempSync, readdirSync, readFileSync, statSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {defineConfig} from "vitest/config";

/**
 * Three tiers, told apart by what a test file touches (so a new file lands in one without being listed):
 * - terminal: a real terminal (tmux) or a subprocess (the CLI, npm pack, crash children)
 * - model: a real llama.cpp context in this process (node-llama-cpp, the native helper, the demo model)
 * - unit: everything else; pure, run in parallel, seconds in all (`npm run test:unit`). Not isolated: each worker
 *   imports Ink, React and src once for all its files (import time was most of the tier's time)
 * `npm test` runs all three, unit first.
 */
const TERMINAL = /helpers\/(tmux|cliRun|runProcess)|node:child_process/;
const MODEL = /loadModel|getLlama|node-llama-cpp|storiesModel|tinyModelPath|writeSyntheticModel|src\/native\/|openSession/;

function testFiles(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
        const full = path.join(dir, name);
        return statSync(full).isDirectory() ? testFiles(full) : /\.test\.tsx?$/.test(name) ? [full] : [];
    });
}

const tiers = {unit: [] as string[], model: [] as string[], terminal: [] as string[]};
for (const file of testFiles("test")) {
    const text = readFileSync(file, "utf8");
    tiers[TERMINAL.test(text) ? "terminal" : MODEL.test(text) ? "model" : "unit"].push(file.split(path.sep).join("/"));
}

// the user's own steer-chat folders stay out of the tests: a vector trained in a real chat (the data folder's
// trained/) shadows a shipped one of the same name, and changed what "happy" meant in a test. One pair per run, shared
// by its tests (as on a fresh machine); a test that wants its own sets them itself.
const home = mkdtempSync(path.join(os.tmpdir(), "steer-test-home-"));

export default defineConfig({
    test: {
        // one llama.cpp thread per model (the default --threads, see runtime.ts): ggml's threads spin while they wait, and
        // two of them per model on a 2-core machine shared with other work made a 1 s test take minutes
        // (STEER_CHAT_*_DIR, when set, win over XDG: emptied, they read as unset)
        env: {STEER_CHAT_THREADS: "1", XDG_CONFIG_HOME: path.join(home, "config"), XDG_DATA_HOME: path.join(home, "data"),
            STEER_CHAT_CONFIG_DIR: "", STEER_CHAT_DATA_DIR: ""},
        // vitest's default leaves a core free, so on 2 cores the unit tier ran its files one by one; its UI tests mostly
        // wait on Ink's frames, so two of them share 2 cores well (model and terminal files run one at a time anyway)
        maxWorkers: Math.max(2, os.availableParallelism() - 1),
        testTimeout: 120_000,
        hookTimeout: 120_000,
        projects: [
            {extends: true, test: {name: "unit", include: tiers.unit, isolate: false, sequence: {groupOrder: 0}}},
            // model-loading suites run one file at a time: llama.cpp's spin-waiting threads on 2 cores slow each other
            // down badly when several models compute at once
            {extends: true, test: {name: "model", include: tiers.model, fileParallelism: false, sequence: {groupOrder: 1}}},
            {extends: true, test: {name: "terminal", include: tiers.terminal, fileParallelism: false, sequence: {groupOrder: 2}}}
        ]
    }
});
