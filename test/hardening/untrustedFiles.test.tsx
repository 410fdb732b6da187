/**
 * Paths and text that come from outside: FIFOs and other non-regular files are refused before they are opened
 * (opening a FIFO blocked the whole process, past every signal but SIGKILL); strings from files are shown bounded
 * and escaped (a 2 MB model hint froze the chat, an ESC[2J hint cleared the screen, a tensor named "direction.1\n"
 * split an error in two); system errors (ENOSPC, EIO, ENOTDIR) are one line naming the path and the fix; a broken
 * chat template is one line, not a stack trace. The files steer-chat keeps (presets, the caches) as a FIFO, a link to
 * /dev/zero, nested past the stack or on a full disk are skipped or one line. The CLI runs as a child, killed if it
 * blocks.
 */
import {execFileSync, spawnSync} from "node:child_process";
import {createHash} from "node:crypto";
import {closeSync, constants, copyFileSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, symlinkSync, writeFileSync} from "node:fs";
import path from "node:path";
import React from "react";
import {render} from "ink-testing-library";
import {describe, expect, it} from "vitest";
import {displayText} from "../../src/displayText.js";
import {errorMessage, UserFacingError} from "../../src/errors.js";
import {loadModel} from "../../src/engine/runtime.js";
import {architectureSteeringWarning} from "../../src/steering/cvecArchitectures.js";
import {gguf, writeGguf} from "../../src/gguf/ggufWriter.js";
import {encodeControlVector} from "../../src/steering/controlVector.js";
import {SteeringState} from "../../src/steering/steeringState.js";
import {vectorNameOf} from "../../src/steering/vectorLibrary.js";
import {SteeringPanel} from "../../src/ui/components/SteeringPanel.js";
import {App} from "../../src/ui/App.js";
import {ChatSession} from "../../src/session/chatSession.js";
import {FakeConversation} from "../helpers/fakeConversation.js";
import {inAct, keys, mount, press, waitForFrame} from "../helpers/ink.js";
import {expectOneLineError, runCli} from "../helpers/cliRun.js";
import {repoRoot, tempDir, tinyModelPath} from "../helpers/tinyModel.js";
import {vectorOf} from "../helpers/steeringTestKit.js";

const dir = tempDir("steer-untrusted-");
const model = tinyModelPath({nEmbd: 32, nLayer: 4, seed: 9});
const prompts = path.join(repoRoot, "test", "fixtures", "prompts");

function fifo(name: string): string {
    const file = path.join(dir, name);
    execFileSync("mkfifo", [file]);
    return file;
}

describe("FIFOs and other non-regular files are refused before they are opened", () => {
    const pipe = fifo("pipe.gguf");
    const direction = path.join(dir, "direction.json");
    writeFileSync(direction, JSON.stringify(Array.from({length: 32}, (_, i) => i / 32)));
    const oneLayer = path.join(dir, "one-layer.gguf");
    writeFileSync(oneLayer, encodeControlVector(vectorOf(32, [1], (_, i) => i / 32)));

    const cases: [string, string[], RegExp][] = [
        ["train --positive FIFO", ["train", "--model", model, "--positive", pipe, "--negative", path.join(prompts, "sad.txt"), "--output", path.join(dir, "o.gguf")],
            /Prompt file \S+pipe\.gguf is a FIFO \(named pipe\), not a regular file/],
        ["train --output FIFO", ["train", "--model", model, "--positive", path.join(prompts, "happy.txt"), "--negative", path.join(prompts, "sad.txt"), "--output", pipe],
            /Output file \S+pipe\.gguf is a FIFO/],
        ["import FIFO", ["import", pipe, "--layer", "1", "--output", path.join(dir, "i.gguf")], /Direction file \S+pipe\.gguf is a FIFO/],
        ["import --output FIFO", ["import", direction, "--layer", "1", "--output", pipe], /Output file \S+pipe\.gguf is a FIFO/],
        ["--model FIFO", ["ask", "--raw", "--model", pipe, "hi"], /Model path \S+pipe\.gguf is a FIFO/],
        ["--vector FIFO", ["ask", "--raw", "--max-tokens", "2", "--model", model, "--vector", pipe, "hi"], /Control vector \S+pipe\.gguf is a FIFO/],
        ["--model a folder", ["ask", "--raw", "--model", dir, "hi"], /Model path \S+ is a folder, not a regular file/],
        ["read --npy FIFO", ["read", "--model", model, "--vector", oneLayer, "--npy", pipe, "hi"], /--npy file \S+pipe\.gguf is a FIFO/]
    ];
    for (const [label, args, expected] of cases) {
        it(label, async () => {
            expect(expectOneLineError(await runCli(args, {timeoutMs: 60_000}))).toMatch(expected);
        });
    }

    it("/save FIFO in the chat says so and keeps the chat running", async () => {
        const target = fifo("transcript.md");
        // a reader holds the FIFO open, so a regression shows as a missing error instead of a blocked test process
        const reader = openSync(target, constants.O_RDONLY | constants.O_NONBLOCK);
        const app = await mount(<App session={new ChatSession({conversation: new FakeConversation(), modelName: "tiny.gguf"})} />);
        try {
            await inAct(() => { app.stdin.write(`/save ${target}`); });
            await press(app.stdin, keys.enter);
            const frame = await waitForFrame(app.lastFrame, (f) => f.includes("not a regular file"));
            expect(frame).toContain(`Transcript file ${target} is a FIFO (named pipe), not a regular file`);
        } finally {
            app.unmount();
            closeSync(reader);
        }
    });
});

describe("the files steer-chat keeps: a FIFO, a link to /dev/zero or a full disk never hangs, crashes or fails a command", () => {
    const fits = path.join(dir, "fits.gguf");
    writeFileSync(fits, encodeControlVector(vectorOf(32, [1, 2, 3], (l, i) => Math.sin(l * i + 1))));
    const modelKey = createHash("sha256").update(readFileSync(model)).digest("hex").slice(0, 16);
    // a strength in σ needs the model's hash and calibration: both caches are read, and written
    const askInSigma = (data: string, options: {fileSizeLimit?: number} = {}) => runCli(["ask", "--raw", "--max-tokens", "2", "--model", model,
        "--vector", `${fits}@0.5s`, "hi"], {env: {STEER_CHAT_DATA_DIR: data}, timeoutMs: 60_000, ...options});
    const expectAnswer = (result: Awaited<ReturnType<typeof runCli>>) => {
        expect(result.signal, result.stderr).toBeNull();
        expect(result.code, result.stderr).toBe(0);
        expect(result.stderr).toBe("");
        expect(result.stdout.length).toBeGreaterThan(0);
    };

    const hashes = (data: string) => path.join(data, "model-hashes.json");
    const calibration = (data: string) => {
        mkdirSync(path.join(data, "calibration"), {recursive: true});
        return path.join(data, "calibration", `${modelKey}.json`);
    };
    const deep = `{"x": ${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    const cases: [string, (data: string) => void][] = [
        ["model-hashes.json is a FIFO", (data) => execFileSync("mkfifo", [hashes(data)])],
        ["model-hashes.json is a link to /dev/zero", (data) => symlinkSync("/dev/zero", hashes(data))],
        ["model-hashes.json is a folder", (data) => mkdirSync(hashes(data))],
        ["model-hashes.json holds a value nested 100,000 deep", (data) => writeFileSync(hashes(data), deep)],
        ["the calibration is a FIFO", (data) => execFileSync("mkfifo", [calibration(data)])],
        ["the calibration is a link to /dev/zero", (data) => symlinkSync("/dev/zero", calibration(data))]
    ];
    for (const [label, setUp] of cases) {
        it(`${label}: a strength in σ is resolved all the same`, async () => {
            const data = tempDir("steer-data-");
            setUp(data);
            expectAnswer(await askInSigma(data));
        });
    }

    it("a full disk (every write fails): the caches are skipped, not fatal", async () => {
        const data = tempDir("steer-data-");
        expectAnswer(await askInSigma(data, {fileSizeLimit: 0}));
        expect(readdirSync(data).filter((f) => f !== "calibration")).toEqual([]); // nothing half-written
    });

    it("a recipe's cached vector that links to /dev/zero is trained again, and the link replaced", async () => {
        const data = tempDir("steer-data-");
        const cached = path.join(data, "trained", modelKey, "formal.gguf");
        mkdirSync(path.dirname(cached), {recursive: true});
        symlinkSync("/dev/zero", cached);
        expectAnswer(await runCli(["ask", "--raw", "--max-tokens", "2", "--model", model, "--vector", "formal:0.5", "hi"],
            {env: {STEER_CHAT_DATA_DIR: data}, timeoutMs: 120_000}));
        expect(lstatSync(cached).isFile()).toBe(true);
    });

    it("presets.json as a FIFO: ask without --preset answers; preset commands are one line naming the file", async () => {
        const config = tempDir("steer-xdg-");
        const file = path.join(config, "steer-chat", "presets.json");
        mkdirSync(path.dirname(file));
        execFileSync("mkfifo", [file]);
        const env = {XDG_CONFIG_HOME: config, STEER_CHAT_DATA_DIR: tempDir("steer-data-")};
        const asked = await runCli(["ask", "--raw", "--max-tokens", "2", "--model", model, "hi"], {env, timeoutMs: 60_000});
        expect(asked.signal, asked.stderr).toBeNull();
        expect(asked.code, asked.stderr).toBe(0);
        for (const args of [["preset", "list"], ["preset", "save", "mine", "--vector", "happy:1"]]) {
            expect(expectOneLineError(await runCli(args, {env, timeoutMs: 30_000})))
                .toBe(`steer-chat: Your presets file ${file} is a FIFO (named pipe), not a regular file — move it away, or set STEER_CHAT_CONFIG_DIR to another folder`);
        }
        expect(lstatSync(file).isFIFO()).toBe(true);
    });

    it("XDG_CONFIG_HOME=/proc/self: preset save is one line at once (Node's recursive mkdir spun there forever)", async () => {
        const line = expectOneLineError(await runCli(["preset", "save", "mine", "--vector", "happy:1"],
            {env: {XDG_CONFIG_HOME: "/proc/self"}, timeoutMs: 30_000}));
        expect(line).toMatch(/^steer-chat: Cannot write your presets file \/proc\/self\/steer-chat\/presets\.json: ENOENT — /);
    });
});

describe("text from files is shown bounded and escaped", () => {
    it("displayText escapes control characters and bidi overrides, keeps emoji whole and bounds the length", () => {
        expect(displayText("a\u001b[2Jb\nc\td\u202ee")).toBe("a\\e[2Jb\\nc\\td\\u202ee");
        expect(displayText("cat 🐱 ok")).toBe("cat 🐱 ok");
        expect(displayText("lone \ud800 half")).toBe("lone \\ud800 half");
        const huge = "x".repeat(2_000_000);
        expect(displayText(huge, 50)).toBe(`${"x".repeat(50)}… (${2_000_000 - 50} more characters)`);
        // an escape is never cut in half
        expect(displayText("ab\u001b", 3)).toBe("ab… (1 more characters)");
    });

    const hint = `\u001b[2J${"a very long hint ".repeat(125_000)}`; // 2 MB
    const vectorsHome = tempDir("steer-xdg-");
    const vectorsDir = path.join(vectorsHome, "steer-chat", "vectors");
    mkdirSync(vectorsDir, {recursive: true});
    // n_embd 16 fits no model used here, so the hint ends up in an error
    const hinted = path.join(vectorsDir, "hinted.gguf");
    writeFileSync(hinted, encodeControlVector({...vectorOf(16, [1, 2], () => 0.1), modelHint: hint}));
    const newline = path.join(vectorsDir, "newline.gguf");
    writeFileSync(newline, writeGguf({"general.architecture": gguf.str("controlvector")},
        [{name: "direction.1\n", dims: [16], data: new Float32Array(16)}]));

    it("a 2 MB model hint with ESC[2J in an error: one short line, no escape sequence", async () => {
        const line = expectOneLineError(await runCli(["ask", "--raw", "--model", model, "--vector", hinted, "hi"]));
        expect(line).toContain("n_embd 16");
        expect(line).toContain("\\e[2J");
        expect(line).not.toContain("\u001b");
        expect(line.length).toBeLessThan(1200);
        expect(line).toMatch(/train one for this model$/); // the fix is still there, after the cut hint
    });

    it("steer-chat vectors lists a vector with a huge hint and one with a newline in a tensor name, one short line each", async () => {
        const result = await runCli(["vectors"], {env: {XDG_CONFIG_HOME: vectorsHome}});
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).not.toContain("\u001b");
        const ours = result.stdout.split("\n").filter((l) => /^(hinted|newline) /.test(l));
        expect(ours).toHaveLength(2);
        for (const line of ours) expect(line.length).toBeLessThan(1200);
        expect(ours.find((l) => l.startsWith("newline"))).toContain('unexpected tensor "direction.1\\n"');
    });

    it("the steering panel shows a vector whose file name holds an escape sequence without sending it", () => {
        const name = vectorNameOf("/tmp/evil\u001b[2J.gguf");
        expect(name).toBe("evil\\e[2J");
        const state = new SteeringState([{name, source: "/tmp/x.gguf", vector: vectorOf(8, [1], () => 0), coefficient: 1, enabled: true}]);
        const app = render(<SteeringPanel state={state} pending={false} focused={false} selected={0} />);
        expect(app.lastFrame()).toContain("evil\\e[2J");
        expect(app.lastFrame()).not.toContain("\u001b[2J");
        app.unmount();
    });

    it("a model file name and an architecture name are shown escaped (status line, architecture warning)", async () => {
        const evil = path.join(dir, "evil\u001b[2J.gguf");
        copyFileSync(model, evil);
        const loaded = await loadModel(evil, {gpu: false, contextSize: 64});
        try {
            expect(loaded.modelName).toBe("evil\\e[2J.gguf");
        } finally {
            await loaded.dispose();
        }
        expect(architectureSteeringWarning("bert\u001b[2J")).toContain('"bert\\e[2J" architecture');
    });

    it("a UserFacingError is one line whatever it quotes", () => {
        const err = new UserFacingError("Bad control vector x.gguf: unexpected tensor \"direction.1\n\"", "fix\r\nit");
        expect(err.toLine()).toBe('Bad control vector x.gguf: unexpected tensor "direction.1\\n" — fix\\r\\nit');
    });
});

describe("system errors are one line naming the path and the fix", () => {
    it("ENOSPC from a real failed write (/dev/full) names the operation and says to free space; with the file when known", () => {
        let failure: unknown;
        try {
            writeFileSync("/dev/full", "x");
        } catch (err) {
            failure = err;
        }
        expect((failure as NodeJS.ErrnoException).code).toBe("ENOSPC");
        expect(errorMessage(failure)).toMatch(/^No space left on the device while writing .* — free some disk space and try again$/);
        (failure as NodeJS.ErrnoException).path = "/data/out.gguf";
        expect(errorMessage(failure)).toBe("No space left on the device while writing /data/out.gguf — free some disk space and try again");
    });

    it("EIO, as Node reports it, names the file", () => {
        const eio = Object.assign(new Error("EIO: i/o error, read"), {code: "EIO", errno: -5, syscall: "read", path: "/mnt/disk/model.gguf"});
        expect(errorMessage(eio)).toMatch(/^Input\/output error on \/mnt\/disk\/model\.gguf — the disk or file system reported a fault/);
    });

    it("ENOTDIR when the config folder is a file: steer-chat preset list says which path and what to do", async () => {
        const home = tempDir("steer-xdg-");
        writeFileSync(path.join(home, "steer-chat"), "not a folder");
        const line = expectOneLineError(await runCli(["preset", "list"], {env: {XDG_CONFIG_HOME: home}}));
        expect(line).toContain(path.join(home, "steer-chat"));
        expect(line).toMatch(/is a file, not a folder: move it away or set STEER_CHAT_CONFIG_DIR/);
    });

    it("ENOSPC on a full disk (a 64 KB tmpfs, where the test may mount one): import --output names the file", async (ctx) => {
        const tmpfs = tempDir("steer-tmpfs-");
        if (spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", tmpfs]).status !== 0) ctx.skip();
        try {
            const big = path.join(dir, "big.json");
            writeFileSync(big, JSON.stringify(Array.from({length: 50_000}, () => 0.5)));
            const out = path.join(tmpfs, "big.gguf");
            const line = expectOneLineError(await runCli(["import", big, "--layer", "1", "--output", out]));
            expect(line).toBe(`steer-chat: Could not write ${out}: no space left on the device (ENOSPC) — free some disk space and try again`);
        } finally {
            spawnSync("umount", [tmpfs]);
        }
    });

    it("a broken chat template: one line on stderr instead of a stack trace, and the chat still answers", async () => {
        const broken = tinyModelPath({nEmbd: 32, nLayer: 2, seed: 4, chatTemplate: "{% for m in messages %}{{ m.content | nosuchfilter }}{% endfor %}"});
        const result = await runCli(["ask", "--max-tokens", "4", "--model", broken, "hello"]);
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout.length).toBeGreaterThan(0);
        const lines = result.stderr.replace(/\n$/, "").split("\n");
        expect(lines, result.stderr).toHaveLength(1);
        expect(lines[0]).toMatch(/^steer-chat: The model's chat template does not work \(.*nosuchfilter.*\); chatting in node-llama-cpp's \S+ format instead$/);
        expect(result.stderr).not.toContain("    at ");
    });
});

