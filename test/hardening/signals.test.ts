/**
 * Ctrl+C from a real terminal (tmux sends it as the terminal does: SIGINT to the foreground process group) during
 * `train` and `ask` stops the work cleanly: "Training was cancelled" with exit 2, or the partial reply kept with
 * exit 0. Before, when-exit (conf → atomically) re-raised the signal and signal-exit@3 took the default action:
 * exit 130. Skips only without tmux.
 */
import {writeFileSync} from "node:fs";
import path from "node:path";
import {afterEach, describe, expect, it} from "vitest";
import {tempDir, tinyModelPath} from "../helpers/tinyModel.js";
import {startTerminal, type TerminalSession} from "../helpers/tmux.js";

let term: TerminalSession | undefined;
afterEach(() => term?.kill());

const dir = tempDir("steer-sigint-");
// wide enough that neither a training on thousands of prompts nor a reply filling the context ends in a moment
const model = tinyModelPath({nEmbd: 256, nHead: 8, nLayer: 4, contextLength: 8192, seed: 21});

describe("Ctrl+C stops the work instead of killing the process", () => {
    it("during train: Training was cancelled, exit 2, nothing written", async () => {
        const lines = (word: string) => Array.from({length: 4000}, (_, i) => `the ${word} cat sat on the mat number ${i}`).join("\n");
        const positive = path.join(dir, "pos.txt");
        const negative = path.join(dir, "neg.txt");
        writeFileSync(positive, lines("happy"));
        writeFileSync(negative, lines("sad"));
        const output = path.join(dir, "out.gguf");
        term = startTerminal(["train", "--model", model, "--positive", positive, "--negative", negative, "--output", output]);
        await term.waitFor((s) => /training .* [1-9]\d*\/8000 prompts/.test(s), "the training progress", 120_000);
        term.keys("C-c");
        const screen = await term.waitFor((s) => s.includes("EXITED:"), "the exit", 120_000);
        expect(screen).toContain("steer-chat: Training was cancelled");
        expect(screen).toContain("EXITED:2");
        expect(screen).not.toContain("Wrote ");
    });

    it("during ask: the partial reply stays on the terminal and the exit is 0", async () => {
        term = startTerminal(["ask", "--raw", "--temperature", "0", "--max-tokens", "8000", "--model", model, "the cat sat on the"]);
        const before = await term.waitFor((s) => /\b(the|cat|dog|sat|mat|a|and)\b.*\b(the|cat|dog|sat|mat|a|and)\b/.test(s.split("\n")[0] ?? ""),
            "the first words of the reply", 120_000);
        term.keys("C-c");
        const screen = await term.waitFor((s) => s.includes("EXITED:"), "the exit", 120_000);
        expect(screen).toContain("EXITED:0");
        expect(screen.startsWith(before.split("\n")[0]!.trimEnd())).toBe(true);
        expect(screen).not.toContain("steer-chat:");
    });
});
