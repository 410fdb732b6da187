/** The chat in awkward terminals: 60 columns, a resize mid-session, NO_COLOR. Skips without tmux or stories260K. */
import {execFileSync, spawnSync} from "node:child_process";
import path from "node:path";
import {afterEach, describe, expect, it} from "vitest";
import {fixtureVectors, hasStories, repoRoot, storiesModel, tempDir} from "../helpers/steeringTestKit.js";

const hasTmux = spawnSync("tmux", ["-V"]).status === 0;
let session: string | undefined;
const tmux = (...args: string[]) => execFileSync("tmux", args, {encoding: "utf8"});
const screen = (escapes = false) => tmux("capture-pane", "-t", session!, "-p", ...(escapes ? ["-e"] : []));

async function waitFor(check: (s: string) => boolean, what: string, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const s = screen();
        if (check(s)) return s;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen was:\n${s}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

function start(width: number, env: string[] = []) {
    session = `steer-term-${process.pid}-${Date.now()}`;
    const happy = path.join(fixtureVectors, "happy.gguf");
    tmux("new-session", "-d", "-s", session, "-x", String(width), "-y", "30", "-e", `XDG_CONFIG_HOME=${tempDir()}`, ...env.flatMap((e) => ["-e", e]),
        `cd '${repoRoot}' && '${process.execPath}' bin/steer-chat.js --model '${storiesModel}' --raw --temperature 0 --max-tokens 30 --vector '${happy}:0.5'; echo EXITED:$?; sleep 600`);
}

async function typeLine(text: string) {
    tmux("send-keys", "-t", session!, "-l", text);
    await new Promise((r) => setTimeout(r, 300));
    tmux("send-keys", "-t", session!, "Enter");
}

afterEach(() => {
    if (session) spawnSync("tmux", ["kill-session", "-t", session]);
    session = undefined;
});

describe.skipIf(!hasTmux || !hasStories)("terminal edge cases", () => {
    it("works at 60 columns: nothing drawn past the edge, the panel and status line fit", async () => {
        start(60);
        await waitFor((s) => s.includes("stories260K.gguf · raw"), "the status line");
        await typeLine("Once upon a time");
        const s = await waitFor((x) => x.includes("[hit --max-tokens"), "the reply");
        for (const line of s.split("\n")) expect([...line].length).toBeLessThanOrEqual(60);
        expect(s).toMatch(/happy\s+\[.*\]\s+\+0\.50/);
        tmux("send-keys", "-t", session!, "C-c");
        await waitFor((x) => x.includes("EXITED:0"), "a clean exit");
    });

    it("survives a resize in the middle of a session and keeps working", async () => {
        start(100);
        await waitFor((s) => s.includes("stories260K.gguf · raw"), "the status line");
        tmux("resize-window", "-t", session!, "-x", "64", "-y", "24");
        await new Promise((r) => setTimeout(r, 500));
        await typeLine("Once upon a time");
        await waitFor((s) => s.includes("[hit --max-tokens"), "a reply after the resize");
        tmux("resize-window", "-t", session!, "-x", "120", "-y", "40");
        await new Promise((r) => setTimeout(r, 500));
        await typeLine("/steering");
        const s = await waitFor((x) => x.includes("reply 1: happy +0.50"), "the app still answering");
        expect(s).not.toContain("EXITED");
    });

    it("NO_COLOR=1 draws no colour escape sequences", async () => {
        start(100, ["NO_COLOR=1"]);
        await waitFor((s) => s.includes("stories260K.gguf · raw"), "the status line");
        await typeLine("/vector set happy 2");
        await waitFor((s) => s.includes("Next turn: happy +2.00"), "the steering note");
        const colours = screen(true).match(/\u001b\[[0-9;]*m/g) ?? [];
        // plain resets may remain; no colour (30-37, 90-97, 38;5/2) and no dim/bold attributes
        expect(colours.filter((c) => /\[(?:[0-9;]*;)?(?:3[0-9]|9[0-7]|1|2)(?:;[0-9;]*)?m/.test(c) && c !== "\u001b[0m")).toEqual([]);
    });
});
