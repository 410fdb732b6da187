/**
 * SIGTERM ends a command that is waiting or working, promptly: closing a terminal or `kill` must not leave an orphan.
 * Each command is brought to the state it waits in (seen from outside: a line it prints, a connection it opens, text
 * it writes), then sent SIGTERM. The bound on the exit is what "promptly" means here; it is generous (a loaded
 * 2-core machine), while each of these waited 5 s (a synchronous lock wait held SIGTERM's handlers) or for ever (a
 * download that retried silently) before.
 */
import {spawn, type ChildProcess} from "node:child_process";
import {mkdirSync} from "node:fs";
import {createServer, type Socket} from "node:net";
import path from "node:path";
import {afterAll, describe, expect, it} from "vitest";
import {bin} from "../helpers/cliRun.js";
import {repoRoot, storiesModelPath, tempDir} from "../helpers/tinyModel.js";

/** how long a command may take to end after SIGTERM before the test fails */
const EXIT_BOUND_MS = 3_000;

type Exit = {code: number | null, signal: NodeJS.Signals | null};
const children: ChildProcess[] = [];
afterAll(() => {
    for (const child of children) if (child.exitCode == null && child.signalCode == null) child.kill("SIGKILL");
});

/** Runs steer-chat ARGS with its output collected; `until` resolves when the output matches. */
function start(args: string[], env: NodeJS.ProcessEnv = {}) {
    const child = spawn(process.execPath, [bin, ...args], {cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"],
        env: {...process.env, STEER_CHAT_CONFIG_DIR: tempDir(), STEER_CHAT_DATA_DIR: tempDir(), STEER_CHAT_MODELS_DIR: tempDir(), ...env}});
    children.push(child);
    let stdout = "";
    let stderr = "";
    const waiters: (() => void)[] = [];
    const changed = () => waiters.forEach((w) => w());
    child.stdout!.setEncoding("utf8").on("data", (d: string) => { stdout += d; changed(); });
    child.stderr!.setEncoding("utf8").on("data", (d: string) => { stderr += d; changed(); });
    const exited = new Promise<Exit>((resolve) => child.on("exit", (code, signal) => resolve({code, signal})));
    const until = (test: (out: {stdout: string, stderr: string}) => boolean, what: string) => new Promise<void>((resolve, reject) => {
        const check = () => test({stdout, stderr}) && resolve();
        waiters.push(check);
        check();
        void exited.then((e) => reject(new Error(`exited (${JSON.stringify(e)}) before ${what}: ${stderr}`)));
    });
    /** SIGTERM, then the exit, which must come within the bound */
    const terminate = async (): Promise<Exit & {stderr: string}> => {
        child.kill("SIGTERM");
        let timer: NodeJS.Timeout | undefined;
        const bound = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`still running ${EXIT_BOUND_MS} ms after SIGTERM: ${stderr}`)), EXIT_BOUND_MS);
        });
        try {
            return {...await Promise.race([exited, bound]), stderr};
        } finally {
            clearTimeout(timer);
        }
    };
    return {child, until, terminate};
}

/** ended by the signal itself, or by a handler that exits as the signal would (128 + 15) */
const endedBySigterm = (exit: Exit) => exit.signal === "SIGTERM" || exit.code === 143 || exit.code === 0;

describe("SIGTERM ends a waiting or working command promptly", () => {
    it("preset save waiting for a lock another steer-chat holds", async () => {
        const config = tempDir();
        const lock = path.join(config, "presets.json.lock");
        mkdirSync(lock, {recursive: true});
        const run = start(["preset", "save", "mine", "--vector", "happy:1"], {STEER_CHAT_CONFIG_DIR: config});
        await run.until(({stderr}) => stderr.includes("Waiting for another steer-chat to finish saving presets"), "the waiting note");
        const exit = await run.terminate();
        expect(endedBySigterm(exit), JSON.stringify(exit)).toBe(true);
        expect(exit.stderr).not.toContain("has been held for 5 s");
    }, 60_000);

    it("ask downloading from a host that accepts the connection and never answers", async () => {
        const sockets: Socket[] = [];
        const server = createServer((socket) => { sockets.push(socket); });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const connected = new Promise<void>((resolve) => server.once("connection", () => resolve()));
        try {
            const {port} = server.address() as {port: number};
            const run = start(["ask", "--model", `http://127.0.0.1:${port}/model.gguf`, "hi"]);
            await connected;
            const exit = await run.terminate();
            expect(endedBySigterm(exit), JSON.stringify(exit)).toBe(true);
        } finally {
            sockets.forEach((s) => s.destroy());
            server.close();
        }
    }, 60_000);

    it("ask waiting for its prompt on a standard input that stays open", async () => {
        const run = start(["ask", "--model", storiesModelPath, "--max-tokens", "4"]);
        // the prompt is read before the model is loaded; nothing is printed while it waits, so this waits for the
        // first byte of input to be taken: a partial line that never ends
        run.child.stdin!.write("Once upon");
        // the process is now blocked on standard input (it cannot finish without EOF); SIGTERM must end it
        const exit = await run.terminate();
        expect(endedBySigterm(exit), JSON.stringify(exit)).toBe(true);
    }, 60_000);

    it("ask while it writes a long reply (the native generation loop is running)", async () => {
        const run = start(["ask", "--raw", "--temperature", "0", "--max-tokens", "100000", "--context-size", "32768",
            "--model", storiesModelPath, "Once upon a time"]);
        await run.until(({stdout}) => stdout.split(/\s+/).length > 20, "twenty words of the reply");
        const exit = await run.terminate();
        expect(endedBySigterm(exit), JSON.stringify(exit)).toBe(true);
    }, 60_000);
});
