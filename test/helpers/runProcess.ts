/** Runs a command to its end, collecting what it printed; stdin gets `input` and is then closed. */
import {spawn} from "node:child_process";

export type ProcessResult = {code: number | null, stdout: string, stderr: string};

export function runProcess(cmd: string, args: string[],
    options: {cwd: string, env?: NodeJS.ProcessEnv, input?: string}): Promise<ProcessResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, {cwd: options.cwd, env: options.env ?? process.env, stdio: ["pipe", "pipe", "pipe"]});
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => { stdout += d; });
        child.stderr.setEncoding("utf8").on("data", (d: string) => { stderr += d; });
        child.on("error", reject);
        child.on("close", (code) => resolve({code, stdout, stderr}));
        child.stdin.end(options.input ?? "");
    });
}
