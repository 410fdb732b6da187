/**
 * The real binary in a real terminal (tmux): type a prompt, read the reply off the screen, steer with the panel's
 * keys, and quit with Ctrl+C. Skips cleanly without tmux or without the stories260K model.
 */
import {execFileSync, spawnSync} from "node:child_process";
import path from "node:path";
import {afterEach, describe, expect, it} from "vitest";
import {fixtureVectors, hasStories, repoRoot, storiesModel, tempDir} from "../helpers/steeringTestKit.js";

const hasTmux = spawnSync("tmux", ["-V"]).status === 0;
const bin = path.join(repoRoot, "bin", "steer-chat.js");
let session: string | undefined;

function tmux(...args: string[]) {
    return execFileSync("tmux", args, {encoding: "utf8"});
}

function screen() {
    return tmux("capture-pane", "-t", session!, "-p", "-J");
}

async function waitForScreen(check: (text: string) => boolean, what: string, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const text = screen();
        if (check(text)) return text;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen was:\n${text}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

/** Sends text, then Enter separately, as a person typing would (a pasted chunk with \r is not an Enter). */
async function type(text: string) {
    tmux("send-keys", "-t", session!, "-l", text);
    await new Promise((r) => setTimeout(r, 300));
    tmux("send-keys", "-t", session!, "Enter");
}

function start(args: string[]) {
    session = `steer-e2e-${process.pid}-${Date.now()}`;
    const command = [process.execPath, bin, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    tmux("new-session", "-d", "-s", session, "-x", "110", "-y", "45", "-e", `XDG_CONFIG_HOME=${tempDir()}`,
        `cd '${repoRoot}' && ${command}; echo EXITED:$?; sleep 600`);
}

afterEach(() => {
    if (session) spawnSync("tmux", ["kill-session", "-t", session]);
    session = undefined;
});

describe.skipIf(!hasTmux || !hasStories)("steer-chat in a real terminal", () => {
    it("streams a reply to a typed prompt, and Ctrl+C on the idle prompt quits", async () => {
        start(["--model", storiesModel, "--raw", "--temperature", "0", "--max-tokens", "30"]);
        await waitForScreen((s) => s.includes("stories260K.gguf · raw · ctx"), "the status line");
        await type("Once upon a time");
        const text = await waitForScreen((s) => s.includes("[hit --max-tokens"), "the reply");
        expect(text).toContain("› Once upon a time");
        expect(text).toContain(", there was a little girl named Lily");
        tmux("send-keys", "-t", session!, "C-c");
        await waitForScreen((s) => s.includes("EXITED:0"), "the exit");
    });

    it("starts with --vector f:0.5; Tab then Right shows 0.6; the next reply is made with 0.6", async () => {
        const happy = path.join(fixtureVectors, "happy.gguf");
        start(["--model", storiesModel, "--raw", "--temperature", "0", "--max-tokens", "24", "--vector", `${happy}:0.5`]);
        await waitForScreen((s) => /happy\s+\[.*\]\s+\+0\.50\s+on/.test(s), "the steering panel at +0.50");
        await type("Once upon a time");
        await waitForScreen((s) => s.includes("[hit --max-tokens"), "the first reply");

        tmux("send-keys", "-t", session!, "Tab");
        await new Promise((r) => setTimeout(r, 200));
        tmux("send-keys", "-t", session!, "Right");
        await waitForScreen((s) => /❯ happy\s+\[.*\]\s+\+0\.60\s+on/.test(s) && s.includes("staged for the next turn"), "+0.60 staged");
        tmux("send-keys", "-t", session!, "Tab");
        await waitForScreen((s) => s.includes("Tab to adjust"), "focus back on the prompt");

        await type("/regen");
        await waitForScreen((s) => s.split("[hit --max-tokens").length === 3, "the second reply");
        await type("/steering");
        const text = await waitForScreen((s) => s.includes("reply 2:"), "the steering record");
        expect(text).toContain("reply 1: happy +0.50");
        expect(text).toContain("reply 2: happy +0.60");
        expect(text).not.toContain("staged for the next turn");

        // the regenerated reply is exactly what ask makes with 0.6
        const expected = execFileSync(process.execPath, [bin, "ask", "--raw", "--temperature", "0", "--max-tokens", "24",
            "--model", storiesModel, "--vector", `${happy}:0.6`, "Once upon a time"], {encoding: "utf8"});
        const afterRegen = text.slice(text.indexOf("↻ Once upon a time"));
        expect(afterRegen.replace(/\s+/g, " ")).toContain(expected.replace(/\s+/g, " ").trim());
    });
});
