/** Runs the real binary (dist/, built by `npm run build`) as a child: an abort in llama.cpp then fails only the child. */
import {spawn} from "node:child_process";
import path from "node:path";
import {expect} from "vitest";
import {repoRoot} from "./tinyModel.js";

export const bin = path.join(repoRoot, "bin", "steer-chat.js");

export type CliResult = {code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string};

/**
 * `steer-chat ARGS` with stdin a pipe that gets `input` (empty: closed at once). A child still running after
 * `timeoutMs` is killed (SIGKILL: a process blocked opening a FIFO ignores every other signal) and fails the test.
 * With `fileSizeLimit`, every write past that many bytes fails (RLIMIT_FSIZE, EFBIG): a full disk, for real.
 */
export function runCli(args: string[], {input = "", env = {}, timeoutMs = 90_000, fileSizeLimit}: {input?: string,
    env?: Record<string, string>, timeoutMs?: number, fileSizeLimit?: number} = {}): Promise<CliResult> {
    return new Promise((resolve, reject) => {
        // prlimit sets the limit and execs node, so the timeout's SIGKILL still reaches steer-chat itself
        const [command, ...commandArgs] = fileSizeLimit != null
            ? ["prlimit", `--fsize=${fileSizeLimit}`, "--", process.execPath, bin, ...args] : [process.execPath, bin, ...args];
        const child = spawn(command!, commandArgs, {cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"], env: {...process.env, ...env},
            timeout: timeoutMs, killSignal: "SIGKILL"});
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => { stdout += d; });
        child.stderr.setEncoding("utf8").on("data", (d: string) => { stderr += d; });
        child.on("error", reject);
        child.on("close", (code, signal) => resolve({code, signal, stdout, stderr}));
        child.stdin.end(input);
    });
}

/** the error contract: no signal, exit 2, nothing on stdout, one "steer-chat: ..." line on stderr, no stack */
export function expectOneLineError(result: CliResult): string {
    expect(result.signal, result.stderr).toBeNull();
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toBe("");
    const lines = result.stderr.replace(/\n$/, "").split("\n");
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]!.startsWith("steer-chat: ")).toBe(true);
    expect(result.stderr).not.toContain("    at ");
    return lines[0]!;
}
