/** A node script in a child process whose writes can be made to fail for real (RLIMIT_FSIZE). */
import {execFileSync} from "node:child_process";
import {writeFileSync} from "node:fs";
import path from "node:path";
import {tempDir} from "./tinyModel.js";

/**
 * Runs a node script (an ES module) in a child process. The script calls `limitFileSize(bytes)` when it is ready:
 * from then on RLIMIT_FSIZE makes any write past that size fail with EFBIG (node ignores SIGXFSZ), a real failed
 * write like a full disk's. It is set on the running process (with prlimit) so that loading a model is not limited.
 * A script still running after `timeoutMs` is killed (SIGKILL: one blocked opening a FIFO ignores every other
 * signal), and `signal` says so.
 */
export function runLimitedScript(script: string, {timeoutMs = 120_000}: {timeoutMs?: number} = {}): {code: number, signal?: string,
    stdout: string, stderr: string} {
    const prelude = `const {execFileSync} = await import("node:child_process");
        const limitFileSize = (bytes) => execFileSync("prlimit", ["--pid", String(process.pid), "--fsize=" + bytes]);`;
    // a file, not `node -e`: node-llama-cpp forks a test process with process.execArgv, which would run -e again
    const file = path.join(tempDir(), "script.mjs");
    writeFileSync(file, prelude + script);
    try {
        const stdout = execFileSync(process.execPath, [file], {encoding: "utf8", stdio: ["ignore", "pipe", "pipe"],
            timeout: timeoutMs, killSignal: "SIGKILL"});
        return {code: 0, stdout, stderr: ""};
    } catch (err) {
        const e = err as {status: number | null, signal: string | null, stdout: string, stderr: string};
        return {code: e.status ?? -1, ...(e.signal != null ? {signal: e.signal} : {}), stdout: e.stdout, stderr: e.stderr};
    }
}
