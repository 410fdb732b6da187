/**
 * The real binary's failure modes: each error is one line on stderr starting with "steer-chat:", naming the file
 * or flag, with no stack trace and exit code 2; --help and --version; and `ask` reading its prompt from stdin.
 */
import {cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync} from "node:fs";
import path from "node:path";
import {InsufficientMemoryError} from "node-llama-cpp";
import {describe, expect, it} from "vitest";
import {UserFacingError} from "../../src/errors.js";
import {explainLoadError} from "../../src/engine/runtime.js";
import {buildSyntheticLlama} from "../../tooling/syntheticLlama.js";
import {repoRoot, storiesModelPath, tempDir, tinyModelPath} from "../helpers/tinyModel.js";
import {runProcess, type ProcessResult} from "../helpers/runProcess.js";

const bin = path.join(repoRoot, "bin", "steer-chat.js");
const dir = tempDir("steer-cli-");

type Result = ProcessResult;

/** Runs the binary with stdin a pipe that gets `input` (or is closed at once: empty stdin). */
function runCli(args: string[], input = "", binary = bin): Promise<Result> {
    return runProcess(process.execPath, [binary, ...args], {cwd: repoRoot, input});
}

/** the error contract: exit 2, nothing on stdout, exactly one line on stderr, "steer-chat: ...", no stack */
function expectOneLineError(result: Result): string {
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.endsWith("\n")).toBe(true);
    const lines = result.stderr.slice(0, -1).split("\n");
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]!.startsWith("steer-chat: ")).toBe(true);
    expect(result.stderr).not.toContain("    at ");
    return lines[0]!;
}

describe("steer-chat errors are one clear line", () => {
    it("a missing model file: exit 2, names the file", async () => {
        const missing = path.join(dir, "no-such-model.gguf");
        const line = expectOneLineError(await runCli(["ask", "--raw", "--model", missing, "hello"]));
        expect(line).toContain(missing);
        expect(line).toMatch(/not found/i);
    });

    it("a file that is not GGUF: names the file and says it is not GGUF", async () => {
        const text = path.join(dir, "notes.txt");
        writeFileSync(text, "this is just some text, not a model\n");
        const line = expectOneLineError(await runCli(["ask", "--raw", "--model", text, "hello"]));
        expect(line).toContain(text);
        expect(line).toMatch(/not a GGUF/i);
    });

    it("ask with a prompt the context cannot hold: exit 2, one line with both sizes, no reply", async () => {
        const line = expectOneLineError(await runCli(["ask", "--model", "demo", "--context-size", "256"], "Once upon a time there was a dog. ".repeat(100)));
        expect(line).toMatch(/^steer-chat: The prompt is \d+ tokens, but the context holds 256 — .*--context-size/);
    });

    it("an unknown flag names the flag", async () => {
        const line = expectOneLineError(await runCli(["--bogus"]));
        expect(line).toContain("--bogus");
        expect(line).toContain("--help");
    });

    it("an unknown command names it", async () => {
        const line = expectOneLineError(await runCli(["frobnicate"]));
        expect(line).toContain("frobnicate");
    });

    it("a bad --temperature names the flag and the value", async () => {
        const line = expectOneLineError(await runCli(["ask", "--temperature", "abc", "--model", tinyModelPath(), "hi"]));
        expect(line).toContain("--temperature");
        expect(line).toContain("abc");
    });

    it("other bad values name the flag and say what is expected", async () => {
        expect(expectOneLineError(await runCli(["ask", "x", "--gpu", "maybe"]))).toMatch(/--gpu.*"maybe".*auto.*false/);
        expect(expectOneLineError(await runCli(["ask", "x", "--max-tokens", "0"]))).toMatch(/--max-tokens.*"0".*whole number >= 1/);
        expect(expectOneLineError(await runCli(["ask", "x", "--context-size", "1.5"]))).toMatch(/--context-size.*"1\.5"/);
    });

    it("a negative number after a flag is its value: --temperature -1 and -t -1 say the value is out of range", async () => {
        for (const flag of ["--temperature", "-t"]) {
            const line = expectOneLineError(await runCli(["ask", flag, "-1", "--model", tinyModelPath(), "hi"]));
            expect(line).toMatch(/^steer-chat: Invalid value for --temperature: "-1" — use a number >= 0, e.g. 0.8$/);
        }
    });

    it("a text value starting with - says how to pass it", async () => {
        const line = expectOneLineError(await runCli(["ask", "--system", "-be brief", "--model", tinyModelPath(), "hi"]));
        expect(line).toBe('steer-chat: The value "-be brief" for --system starts with "-" — write it as --system="-be brief"');
    });

    it("a prompt starting with - is named whole, with the way to send it: -- before it, which works", async () => {
        const line = expectOneLineError(await runCli(["ask", "--raw", "--model", tinyModelPath(), "-hello"]));
        expect(line).toBe('steer-chat: Unknown option: -hello — to send text that starts with "-", put -- before it: steer-chat ask -- "-hello"');
        const sent = await runCli(["ask", "--raw", "--model", tinyModelPath(), "--max-tokens", "2", "--threads", "1", "--", "-hello"]);
        expect(sent.stderr).toBe("");
        expect(sent.code).toBe(0);
    });

    it("preset save with several names says it takes one", async () => {
        const line = expectOneLineError(await runCli(["preset", "save", "x", "y", "z"]));
        expect(line).toMatch(/^steer-chat: preset save takes one name, got 3: x y z — quote a name with spaces/);
    });

    it("train --output ending in / is refused before the model loads, and nothing is written", async () => {
        const folder = path.join(tempDir("steer-out-"), "vectors");
        const line = expectOneLineError(await runCli(["train", "--model", storiesModelPath, "--threads", "1", "--recipe", "happy", "--output", `${folder}/`]));
        expect(line).toContain(`${folder}/ ends in "/", so it names a folder`);
        expect(existsSync(folder)).toBe(false);
    });

    it("a flag without its value says so", async () => {
        const line = expectOneLineError(await runCli(["ask", "--model", tinyModelPath(), "hi", "--max-tokens"]));
        expect(line).toContain("--max-tokens");
    });

    it("ask without a prompt and with empty stdin asks for a prompt", async () => {
        const line = expectOneLineError(await runCli(["ask", "--raw", "--model", tinyModelPath()], ""));
        expect(line).toMatch(/prompt/);
    });

    it("ask without a model asks for --model", async () => {
        const line = expectOneLineError(await runCli(["ask", "hello"]));
        expect(line).toContain("--model");
    });

    it("a context too large for memory: node-llama-cpp's InsufficientMemoryError becomes one 'Not enough memory' line", async () => {
        // 512 layers (llama.cpp's maximum) x 64 dims: 128 KiB of KV cache per token, so 2M tokens want ~260 GB of RAM.
        // (node-llama-cpp's estimate costs time in proportion to the context size, so a deep model keeps it small)
        const model = tinyModelPath({nEmbd: 64, nHead: 8, nLayer: 512});
        const line = expectOneLineError(await runCli(["ask", "--raw", "--gpu", "false", "--context-size", "2000000", "--model", model, "hi"]));
        expect(line).toContain("Not enough memory to load the context");
        expect(line).toContain(model);
        expect(line).toContain("--context-size");
    });

    it("a model whose tensor info claims far more data than the file holds fails as one line naming the file", async () => {
        // node-llama-cpp has no RAM check for model weights on the CPU (they are mmapped), so a "huge" tensor is not
        // reported as a memory problem: the model check refuses it first, as a shape that disagrees with the header
        const model = buildSyntheticLlama({seed: 2});
        const name = Buffer.from("token_embd.weight");
        const dimsAt = model.indexOf(name) + name.length + 4; // after the name: n_dims (u32), then the dims (u64 each)
        expect(model.readUInt32LE(dimsAt - 4)).toBe(2);
        model.writeBigUInt64LE(32n * 1024n * 1024n, dimsAt + 8); // 32 x 33.5M floats = 4 GiB claimed
        const file = path.join(dir, "huge-tensor.gguf");
        writeFileSync(file, model);
        const line = expectOneLineError(await runCli(["ask", "--raw", "--gpu", "false", "--model", file, "hi"]));
        expect(line).toContain(file);
        expect(line).toMatch(/has a tensor that does not fit its header: tensor token_embd\.weight/);
    });

    it("node-llama-cpp's out-of-memory refusal for the model weights maps to one line with the fix", () => {
        // not provokable for real on the CPU (weights are mmapped and node-llama-cpp checks only VRAM for them),
        // so the mapping is checked directly
        const err = explainLoadError(new InsufficientMemoryError("Not enough VRAM to fit the model"), "/models/big.gguf", "model");
        expect(err).toBeInstanceOf(UserFacingError);
        expect((err as UserFacingError).toLine()).toMatch(/^Not enough memory to load the model for \/models\/big\.gguf — .*smaller or more quantised model/);
        const other = explainLoadError(new Error("Failed to load model"), "/models/x.gguf", "model");
        expect((other as UserFacingError).toLine()).toMatch(/^Could not load \/models\/x\.gguf: Failed to load model — /);
    });

    it("a model with a corrupt metadata count fails as one line naming the file, without Node's internal error text", async () => {
        const model = buildSyntheticLlama({seed: 3});
        model.writeBigUInt64LE(0xffffffffn, 16); // the header's key/value count
        const file = path.join(dir, "corrupt-kv-count.gguf");
        writeFileSync(file, model);
        const line = expectOneLineError(await runCli(["ask", "--raw", "--gpu", "false", "--model", file, "hi"]));
        expect(line).toContain(file);
        expect(line).toMatch(/not a usable GGUF model: its header runs past the end of the file/);
        expect(line).not.toMatch(/out of range|Invalid array length/);
    });

    // llama.cpp aborts the whole process (GGML_ASSERT n_layer <= LLAMA_MAX_LAYERS) on such a model, so the header is
    // checked before llama.cpp sees it
    it("a model with more layers than llama.cpp supports fails as one line, not a native abort", async () => {
        const model = tinyModelPath({nEmbd: 8, nHead: 2, nLayer: 513});
        const line = expectOneLineError(await runCli(["ask", "--raw", "--gpu", "false", "--model", model, "hi"]));
        expect(line).toContain(model);
        expect(line).toContain("513 layers, more than llama.cpp supports (512)");
    });

    it("an absurd --context-size is refused at once", async () => {
        const line = expectOneLineError(await runCli(["ask", "--raw", "--context-size", "1000000000", "--model", tinyModelPath(), "hi"]));
        expect(line).toContain('Invalid value for --context-size: "1000000000"');
    });

    it("the chat without a terminal says to use ask", async () => {
        const line = expectOneLineError(await runCli(["--model", tinyModelPath()]));
        expect(line).toContain("ask");
    });
});

describe("--help and --version", () => {
    it("--help exits 0 and lists the main options", async () => {
        const {code, stdout, stderr} = await runCli(["--help"]);
        expect(code, stderr).toBe(0);
        expect(stderr).toBe("");
        for (const flag of ["--model", "--raw", "--context-size", "--threads", "--gpu", "--temperature", "--max-tokens", "--system", "--seed", "--debug"])
            expect(stdout).toContain(flag);
        expect(stdout).toMatch(/Usage/);
        expect(stdout).toContain('steer-chat ask "PROMPT"');
    });

    it("--version prints package.json's version", async () => {
        const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {version: string};
        const {code, stdout, stderr} = await runCli(["--version"]);
        expect(code, stderr).toBe(0);
        expect(stdout).toBe(`${pkg.version}\n`);
    });
});

describe("ask reads the prompt from stdin when none is given", () => {
    it("piped 'Once upon a time' gives llama.cpp's reply from the fixture", async () => {
        const fixture = JSON.parse(readFileSync(path.join(repoRoot, "test", "fixtures", "llama-completion.json"), "utf8")) as
            {cases: {prompt: string, maxTokens: number, vectors?: string[], expected: string}[]};
        const c = fixture.cases.find((x) => x.prompt === "Once upon a time" && x.vectors == null)!;
        // like `echo "Once upon a time" | steer-chat ask ...`: the trailing newline is not part of the prompt
        const {code, stdout, stderr} = await runCli(["ask", "--raw", "--temperature", "0", "--max-tokens", String(c.maxTokens),
            "--model", storiesModelPath], `${c.prompt}\n`);
        expect(stderr).toBe("");
        expect(code).toBe(0);
        expect(stdout).toBe(c.expected);
    });
});

describe("without the native steering helper", () => {
    /** a copy of the package whose native build failed at install: no .node file, only the recorded reason */
    function packageWithoutHelper(): string {
        const root = tempDir("steer-nohelper-");
        for (const part of ["bin", "dist", "vectors", "presets", "package.json"])
            cpSync(path.join(repoRoot, part), path.join(root, part), {recursive: true});
        symlinkSync(path.join(repoRoot, "node_modules"), path.join(root, "node_modules"));
        mkdirSync(path.join(root, "build"));
        writeFileSync(path.join(root, "build", "native-build-error.txt"), "node-gyp rebuild failed\n");
        return path.join(root, "bin", "steer-chat.js");
    }

    it("asking for a vector says why steering is unavailable, with the install's own reason and the fix", async () => {
        const binary = packageWithoutHelper();
        const model = tinyModelPath();
        const line = expectOneLineError(await runCli(["ask", "--raw", "--model", model, "--vector", "happy:1", "hello"], "", binary));
        expect(line).toBe("steer-chat: Steering is unavailable: the native steering helper was not built: node-gyp rebuild failed " +
            "— run `npm run build:native` in the steer-chat folder (needs python3, make and a C++ compiler) and look at its output");

        // with no steering asked for, it still answers, exactly as the full install does
        const args = ["ask", "--raw", "--temperature", "0", "--max-tokens", "6", "--model", model, "hello"];
        const without = await runCli(args, "", binary);
        expect(without.code, without.stderr).toBe(0);
        expect(without.stdout).toBe((await runCli(args)).stdout);
    });
});
