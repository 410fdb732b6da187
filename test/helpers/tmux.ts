/** Driving the real binary in a real terminal through tmux: start, type like a person, read the screen. */
import {execFileSync, spawnSync} from "node:child_process";
import {rmSync} from "node:fs";
import path from "node:path";
import {repoRoot, tempDir} from "./steeringTestKit.js";

const hasTmux = spawnSync("tmux", ["-V"]).status === 0;

/**
 * The terminal tests need tmux: where it is missing they fail (a run with zero terminal checks is not a pass).
 * `.ci/run` installs it.
 */
export function requireTmux() {
    if (!hasTmux) throw new Error("tmux is not installed, and the terminal tests need it: install it (apt-get install tmux; .ci/run does)");
}

/** runs tmux on a session's own server (-S): tests never race one shared server that exits with its last session */
const tmuxOn = (socket: string, ...args: string[]) => execFileSync("tmux", ["-S", socket, ...args], {encoding: "utf8"});

export type TerminalSession = {
    name: string,
    screen(options?: {escapes?: boolean}): string,
    /** any tmux command on this session's server, e.g. resize-window */
    tmux(...args: string[]): string,
    waitFor(check: (screen: string) => boolean, what: string, timeoutMs?: number): Promise<string>,
    /** text, a pause, then Enter: as a person types (send-keys "text" Enter is the burst a script or ssh sends) */
    typeLine(text: string): Promise<void>,
    /** pastes text as a terminal does (tmux paste-buffer: bracketed when the app asked for it, line breaks as CR) */
    paste(text: string): void,
    keys(...keys: string[]): void,
    /** bytes sent exactly as given (send-keys -H; a string as UTF-8): sequences tmux would not send for a key name, invalid UTF-8 */
    bytes(data: string | Uint8Array): void,
    kill(): void
};

/**
 * Runs `steer-chat ARGS` in a detached tmux session; `EXITED:<code>` is printed when it ends. With `discardStdout`
 * only stderr reaches the screen (to check where a message goes).
 */
export function startTerminal(args: string[], {width = 100, height = 30, env = [], discardStdout = false}:
    {width?: number, height?: number, env?: string[], discardStdout?: boolean} = {}): TerminalSession {
    requireTmux();
    const name = `steer-${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
    const command = [process.execPath, path.join(repoRoot, "bin", "steer-chat.js"), ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ") +
        (discardStdout ? " >/dev/null" : "");
    const socket = path.join(tempDir(), "tmux.sock");
    const tmux = (...args: string[]) => tmuxOn(socket, ...args);
    // the user's config and data folders stay untouched: presets, trained vectors and the prompt history go to temp folders
    tmux("new-session", "-d", "-s", name, "-x", String(width), "-y", String(height), "-e", `XDG_CONFIG_HOME=${tempDir()}`, "-e", `XDG_DATA_HOME=${tempDir()}`,
        ...env.flatMap((e) => ["-e", e]), `cd '${repoRoot}' && ${command}; echo EXITED:$?; sleep 600`);
    const screen = ({escapes = false} = {}) => tmux("capture-pane", "-t", name, "-p", "-J", ...(escapes ? ["-e"] : []));
    return {
        name,
        screen,
        tmux,
        async waitFor(check, what, timeoutMs = 30_000) {
            const deadline = Date.now() + timeoutMs;
            for (;;) {
                const text = screen();
                if (check(text)) return text;
                if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen was:\n${text}`);
                await new Promise((r) => setTimeout(r, 100)); // the polling interval: the check decides
            }
        },
        async typeLine(text) {
            tmux("send-keys", "-t", name, "-l", text);
            // about time itself: a person's Enter comes a while after the text (a burst is keys(), and has its own tests)
            await new Promise((r) => setTimeout(r, 300));
            tmux("send-keys", "-t", name, "Enter");
        },
        paste(text) {
            // through stdin: a command-line argument is limited to 128 KB, and a paste may be a megabyte
            execFileSync("tmux", ["-S", socket, "load-buffer", "-b", name, "-"], {input: text});
            tmux("paste-buffer", "-p", "-d", "-b", name, "-t", name);
        },
        keys: (...keys) => { tmux("send-keys", "-t", name, ...keys); },
        bytes: (data) => {
            const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
            tmux("send-keys", "-t", name, "-H", ...[...bytes].map((b) => b.toString(16).padStart(2, "0")));
        },
        kill: () => {
            spawnSync("tmux", ["-S", socket, "kill-server"]);
            rmSync(socket, {force: true});
        }
    };
}
