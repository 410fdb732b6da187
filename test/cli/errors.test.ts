/** The real binary's command line: help, version, and every error as one clear line with a non-zero exit. */
import {execFile, spawn} from "node:child_process";
import {readFileSync, writeFileSync} from "node:fs";
import path from "node:path";
import {promisify} from "node:util";
import {describe, expect, it} from "vitest";
import {InsufficientMemoryError} from "node-llama-cpp";
import {gguf, writeGguf} from "../../src/gguf/ggufWriter.js";
import {UserFacingError} from "../../src/engine/errors.js";
import {explainLoadError} from "../../src/engine/runtime.js";
import {hasStories, repoRoot, storiesModel, tempDir} from "../helpers/steeringTestKit.js";

const execFileAsync = promisify(execFile);
const bin = path.join(repoRoot, "bin", "steer-chat.js");

async function cli(args: string[], stdin?: string) {
    return new Promise<{code: number, stdout: string, stderr: string}>((resolve) => {
        const child = spawn(process.execPath, [bin, ...args], {cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"]});
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => { stdout += d; });
        child.stderr.on("data", (d) => { stderr += d; });
        child.on("close", (code) => resolve({code: code ?? -1, stdout, stderr}));
        child.stdin.end(stdin ?? "");
    });
}

function expectOneLine(result: {code: number, stderr: string, stdout: string}, code: number, pattern: RegExp) {
    expect(result.code).toBe(code);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^steer-chat: /);
    expect(lines[0]).toMatch(pattern);
    expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe("steer-chat command line", () => {
    it("--help lists the commands and the common flags; --version prints the package version", async () => {
        const help = await execFileAsync(process.execPath, [bin, "--help"]);
        for (const flag of ["--model", "--raw", "--system", "--temperature", "--max-tokens", "--seed", "--context-size", "--threads", "--gpu", "--vector", "--layers", "--preset"])
            expect(help.stdout).toContain(flag);
        expect(help.stdout).toMatch(/steer-chat ask "PROMPT"/);
        const version = await execFileAsync(process.execPath, [bin, "--version"]);
        expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")).version);
    });

    it("a missing model file: one line naming it, exit 2", async () => {
        const missing = path.join(tempDir(), "nope.gguf");
        expectOneLine(await cli(["ask", "hi", "--model", missing]), 2, new RegExp(`Model file not found: ${missing} — pass an existing \\.gguf`));
    });

    it("a file that is not GGUF: one line naming it and saying so", async () => {
        const file = path.join(tempDir(), "model.gguf");
        writeFileSync(file, "definitely not a model");
        expectOneLine(await cli(["ask", "hi", "--model", file]), 2, new RegExp(`Not a GGUF model file: ${file}`));
    });

    it("a model whose header claims more weights than the file holds: one line naming it, no llama.cpp log noise", async () => {
        // a valid llama header whose embedding tensor claims 32 GiB that the file does not hold
        const claim = writeGguf({"general.architecture": gguf.str("llama"), "llama.embedding_length": gguf.u32(65536),
            "llama.block_count": gguf.u32(1), "llama.context_length": gguf.u32(64), "llama.feed_forward_length": gguf.u32(8),
            "llama.attention.head_count": gguf.u32(1), "llama.attention.layer_norm_rms_epsilon": gguf.f32(1e-5)},
        [{name: "token_embd.weight", dims: [1, 1], data: new Float32Array(1)}]);
        const dimsAt = claim.indexOf(Buffer.from("token_embd.weight")) + "token_embd.weight".length + 4;
        claim.writeBigUInt64LE(65536n, dimsAt);
        claim.writeBigUInt64LE(131072n, dimsAt + 8);
        const file = path.join(tempDir(), "huge.gguf");
        writeFileSync(file, claim);
        expectOneLine(await cli(["ask", "hi", "--raw", "--gpu", "false", "--model", file]), 2,
            new RegExp(`Could not load ${file}: .* — check that the file is a complete GGUF model`));
    });

    it("node-llama-cpp's out-of-memory refusal becomes one line with the fix", () => {
        const err = explainLoadError(new InsufficientMemoryError("Not enough RAM"), "/models/big.gguf", "model");
        expect((err as UserFacingError).toLine()).toBe("Not enough memory to load the model for /models/big.gguf — " +
            "use a smaller or more quantised model (e.g. a Q4_K_M file), or --gpu false to use system RAM");
        const ctx = explainLoadError(new InsufficientMemoryError("Not enough VRAM"), "/models/big.gguf", "context");
        expect((ctx as UserFacingError).toLine()).toMatch(/context .* use a smaller --context-size/);
    });

    it("unknown flags and bad values name the flag", async () => {
        expectOneLine(await cli(["--bogus"]), 2, /Unknown option: --bogus — run steer-chat --help/);
        expectOneLine(await cli(["ask", "x", "--temperature", "abc", "--model", "m.gguf"]), 2, /Invalid value for --temperature: "abc"/);
        expectOneLine(await cli(["ask", "x", "--gpu", "maybe"]), 2, /Invalid value for --gpu: "maybe" — use --gpu auto or --gpu false/);
        expectOneLine(await cli(["ask", "x", "--max-tokens", "0"]), 2, /Invalid value for --max-tokens: "0" — expected a whole number >= 1/);
        expectOneLine(await cli(["frobnicate"]), 2, /Unknown command: frobnicate/);
        expectOneLine(await cli(["ask", "x"]), 2, /ask needs a model/);
    });

    it("ask without a prompt and with nothing on stdin says how to give one", async () => {
        expectOneLine(await cli(["ask", "--model", storiesModel], ""), 2, /ask needs a prompt/);
    });

    it("the chat refuses a non-interactive terminal and points to ask", async () => {
        expectOneLine(await cli(["--model", storiesModel]), 2, /The chat needs an interactive terminal — for scripts use: steer-chat ask/);
    });

    it.skipIf(!hasStories)("ask reads the prompt from stdin when none is given", async () => {
        const fixture = JSON.parse(readFileSync(path.join(repoRoot, "test", "fixtures", "llama-completion.json"), "utf8"));
        const c = fixture.cases[0];
        const result = await cli(["ask", "--raw", "--temperature", "0", "--max-tokens", String(c.maxTokens), "--model", storiesModel], `${c.prompt}\n`);
        expect(result.code).toBe(0);
        expect(result.stdout).toBe(c.expected);
    });
});
