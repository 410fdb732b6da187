/**
 * One rule for text from files, names, paths and the model on a terminal (src/displayText.ts), on the CLI's side: a
 * preset's vector reference in `preset list` and in the "Preset … skipped" note (an OSC there retitled the terminal),
 * the paths of the "Wrote …" lines of `import`, `train` and `read --npy`, and `ask`'s reply on a terminal, from a model
 * whose token holds an OSC and a clear-screen. On a pipe `ask` keeps the model's text exact (scripts need it; the
 * llama.cpp parity tests compare it byte for byte). The chat's side is in test/ui/terminalText.test.tsx.
 */
import {mkdirSync, writeFileSync} from "node:fs";
import path from "node:path";
import {afterEach, describe, expect, it} from "vitest";
import {buildSyntheticLlama, syntheticVocab} from "../../tooling/syntheticLlama.js";
import {gguf} from "../../src/gguf/ggufWriter.js";
import {runCli} from "../helpers/cliRun.js";
import {editGgufMetadata} from "../helpers/ggufEdit.js";
import {startTerminal, type TerminalSession} from "../helpers/tmux.js";
import {repoRoot, tempDir, tinyModelPath} from "../helpers/tinyModel.js";

const OSC_TITLE = "\u001b]0;pwned\u0007";
/** what must never reach a terminal from these texts: ESC, BEL, a C1 CSI */
const RAW = /[\u001b\u0007\u009b]/;

const dir = tempDir("steer-escaped-");
const config = path.join(dir, "config");
mkdirSync(config);
writeFileSync(path.join(config, "presets.json"), JSON.stringify({presets: {evil: {name: "evil", vectors: [{vector: `${OSC_TITLE}x`, coefficient: 0.5}]}}}));
const env = {STEER_CHAT_CONFIG_DIR: config, STEER_CHAT_DATA_DIR: path.join(dir, "data")};
const model = tinyModelPath({nEmbd: 32, nLayer: 4, seed: 9});
const prompts = path.join(repoRoot, "test", "fixtures", "prompts");

/** the same synthetic model with its "▁happy" token (which a greedy reply to "the cat sat" holds) carrying escapes */
function escapingModel(): string {
    const tokens = syntheticVocab().tokens.map((t) => (t === "\u2581happy" ? `\u2581happy${OSC_TITLE}\u001b[2J\u009b2J` : t));
    const file = path.join(dir, "escaping.gguf");
    writeFileSync(file, editGgufMetadata(Buffer.from(buildSyntheticLlama({nEmbd: 32, nLayer: 4, seed: 9})), {"tokenizer.ggml.tokens": gguf.strArr(tokens)}));
    return file;
}
const ask = (file: string) => ["ask", "--raw", "--model", file, "--temperature", "0", "--max-tokens", "12", "the cat sat"];

let term: TerminalSession | undefined;
afterEach(() => {
    term?.kill();
    term = undefined;
});

describe("text from files and names is escaped", () => {
    it("preset list shows a vector reference holding an OSC escaped, with no ESC or BEL", async () => {
        const listed = await runCli(["preset", "list"], {env});
        expect(listed.code, listed.stderr).toBe(0);
        const line = listed.stdout.split("\n").find((l) => l.startsWith("evil"));
        expect(line).toContain("\\e]0;pwned\\u0007x +0.50");
        expect(listed.stdout).not.toMatch(RAW);
    });

    it("the note that a preset skipped that vector is escaped too", async () => {
        const result = await runCli(["ask", "--raw", "--model", model, "--max-tokens", "2", "--preset", "evil", "hi"], {env});
        expect(result.code, result.stderr).toBe(0);
        expect(result.stderr).toMatch(/Preset evil skipped \\e\]0;pwned\\u0007x: /);
        expect(result.stderr).not.toMatch(RAW);
    });
});

describe("paths in the Wrote lines are escaped", () => {
    it("import, train and read --npy with a control character in the output path", async () => {
        const direction = path.join(dir, "direction.json");
        writeFileSync(direction, JSON.stringify(Array.from({length: 32}, (_, i) => i / 32)));
        const imported = await runCli(["import", direction, "--layer", "1", "--output", path.join(dir, "imp\u001b[2J.gguf")], {env});
        expect(imported.code, imported.stderr).toBe(0);
        expect(imported.stderr).toContain(`Wrote ${path.join(dir, "imp\\e[2J.gguf")}: layer 1`);
        expect(imported.stderr).not.toMatch(RAW);

        const vector = path.join(dir, "tr\u0007ained.gguf");
        const trained = await runCli(["train", "--model", model, "--positive", path.join(prompts, "happy.txt"), "--negative", path.join(prompts, "sad.txt"),
            "--output", vector], {env});
        expect(trained.code, trained.stderr).toBe(0);
        // train's result (the Wrote line, the table) is on stdout, its progress and warnings on stderr
        expect(trained.stdout).toContain(`Wrote ${path.join(dir, "tr\\u0007ained.gguf")}: `);
        expect(trained.stdout).not.toMatch(RAW);
        expect(trained.stderr).not.toMatch(RAW);

        const read = await runCli(["read", "--model", model, "--vector", vector, "--npy", path.join(dir, `read${OSC_TITLE}.npy`), "the cat sat"], {env});
        expect(read.code, read.stderr).toBe(0);
        expect(read.stderr).toContain(`Wrote ${path.join(dir, "read\\e]0;pwned\\u0007.npy")}: `);
        expect(read.stderr + read.stdout).not.toMatch(RAW);
    });
});

describe("a reply whose token holds escape sequences", () => {
    const escaping = escapingModel();

    it("ask on a pipe writes the model's text exactly, escapes included", async () => {
        const result = await runCli(ask(escaping), {env});
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toContain(`happy${OSC_TITLE}\u001b[2J\u009b2J`);
    });

    it("ask on a terminal shows it escaped: the screen is not cleared, the title not changed", async () => {
        term = startTerminal(ask(escaping), {env: Object.entries(env).map(([k, v]) => `${k}=${v}`)});
        const screen = await term.waitFor((s) => s.includes("EXITED:"), "ask to end");
        expect(screen).toContain("EXITED:0");
        expect(screen).toContain("happy\\e]0;pwned\\u0007\\e[2J\\u009b2J");
        expect(term.tmux("display-message", "-p", "-t", term.name, "#{pane_title}")).not.toContain("pwned");
    });
});
