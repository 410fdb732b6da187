/**
 * The chat in awkward terminals (60 columns, a resize mid-session, NO_COLOR), start-up errors and the model pick
 * list. A generated model shaped like stories260K (64 wide, 5 layers, so the shipped vectors fit) keeps these
 * running without the shared model; they need tmux (and fail without it).
 */
import {copyFileSync, existsSync, writeFileSync} from "node:fs";
import path from "node:path";
import {afterEach, describe, expect, it} from "vitest";
import {fixtureVectors, writeSyntheticModel} from "../helpers/steeringTestKit.js";
import {tempDir, tinyModelPath} from "../helpers/tinyModel.js";
import {startTerminal, type TerminalSession} from "../helpers/tmux.js";

let term: TerminalSession | undefined;
afterEach(() => term?.kill());

const storiesShaped = writeSyntheticModel({nEmbd: 64, nLayer: 5, seed: 41, name: "stories-shaped"});
const chat = (width: number, env: string[] = []) => startTerminal(["--model", storiesShaped, "--raw", "--temperature", "0", "--max-tokens", "30",
    "--vector", `${path.join(fixtureVectors, "happy.gguf")}:0.5`], {width, env});
const statusLine = (s: string) => s.includes(`${path.basename(storiesShaped)} · raw`);
/** a finished reply's details line ("[hit --max-tokens · ppl 3.10]"; a generated model may also stop early) */
const replies = (s: string) => s.match(/\[[^\]\n]*ppl \d/g)?.length ?? 0;

describe("terminal edge cases", () => {
    it("works at 60 columns: nothing drawn past the edge, the panel and status line fit", async () => {
        term = chat(60);
        await term.waitFor((s) => statusLine(s), "the status line");
        await term.typeLine("Once upon a time");
        const s = await term.waitFor((x) => replies(x) === 1, "the reply");
        for (const line of term.screen().split("\n")) expect([...line].length).toBeLessThanOrEqual(60);
        expect(s).toMatch(/happy\s+\[.*\]\s+\+0\.50/);
        term.keys("C-c");
        await term.waitFor((x) => x.includes("EXITED:0"), "a clean exit");
    });

    it("survives a resize in the middle of a session and keeps working", async () => {
        term = chat(100);
        await term.waitFor((s) => statusLine(s), "the status line");
        term.tmux("resize-window", "-t", term.name, "-x", "64", "-y", "24");
        await term.waitFor((s) => statusLine(s) && s.split("\n").every((line) => [...line].length <= 64), "the chat redrawn at 64 columns");
        await term.typeLine("Once upon a time");
        await term.waitFor((s) => replies(s) === 1, "a reply after the resize");
        // the live area (panel, prompt, status line: at 64 columns the reply's figures take a second and third row)
        // is redrawn for the new width; older scrollback is tmux's to reflow
        const live = term.screen().trimEnd().split("\n").slice(-8);
        expect(live.join("\n")).toMatch(/happy\s+\[/);
        for (const line of live) expect([...line].length, line).toBeLessThanOrEqual(64);
        term.tmux("resize-window", "-t", term.name, "-x", "120", "-y", "40");
        await term.waitFor((s) => statusLine(s), "the chat at 120 columns");
        await term.typeLine("/steering");
        const s = await term.waitFor((x) => x.includes("reply 1: happy +0.50"), "the app still answering");
        expect(s).not.toContain("EXITED");
    });

    it("NO_COLOR=1 draws no colour escape sequences", async () => {
        term = chat(100, ["NO_COLOR=1"]);
        await term.waitFor((s) => statusLine(s), "the status line");
        await term.typeLine("/vector set happy 2");
        await term.waitFor((s) => s.includes("Next turn: happy +2.00"), "the steering note");
        const styles = term.screen({escapes: true}).match(/\u001b\[[0-9;]*m/g) ?? [];
        // plain resets may remain; no colours (30-37, 90-97, 38;…) and no bold/dim/inverse attributes
        expect(styles.filter((c) => c !== "\u001b[0m" && c !== "\u001b[39m" && c !== "\u001b[49m")).toEqual([]);
    });
});

describe("chat start-up errors", () => {
    it("a bad --preset, --vector or --layers is one line on stderr and exit 2, never a stack trace", async () => {
        const model = tinyModelPath();
        const cases: [string[], RegExp][] = [
            [["--preset", "nosuch"], /^steer-chat: No preset named "nosuch"/],
            [["--vector", "nosuchvec:1"], /^steer-chat: No vector named "nosuchvec"/],
            [["--layers", "5-2", "--vector", "happy:1"], /^steer-chat: .*5-2/]
        ];
        for (const [args, expected] of cases) {
            term = startTerminal(["--model", model, ...args], {discardStdout: true});
            const s = await term.waitFor((x) => x.includes("EXITED:"), `the exit for ${args.join(" ")}`);
            const lines = s.split("\n").map((l) => l.trimEnd()).filter((l) => l !== "");
            expect(lines, s).toHaveLength(2);
            expect(lines[0]).toMatch(expected);
            expect(lines[1]).toBe("EXITED:2");
            term.kill();
            term = undefined;
        }
    });

    it("with no --model, offers the models folder's models in a pick list; Enter opens the chat on the picked one", async () => {
        const models = tempDir();
        copyFileSync(tinyModelPath(), path.join(models, "tiny.gguf"));
        term = startTerminal(["--raw", "--max-tokens", "4"], {env: [`STEER_CHAT_MODELS_DIR=${models}`]});
        const s = await term.waitFor((x) => x.includes("Download a recommended small chat model"), "the pick list");
        expect(s).toContain(`No --model given. Models in ${models}:`);
        expect(s).toMatch(/❯ built-in demo \(TinyStories 260K, offline\)/); // the demo comes first
        expect(s).toMatch(/ {2}tiny\.gguf\s+\d/);
        term.keys("Down");
        await term.waitFor((x) => /❯ tiny\.gguf/.test(x), "tiny.gguf selected");
        term.keys("Enter");
        await term.waitFor((x) => x.includes("tiny.gguf · raw · ctx"), "the chat on the picked model");
        term.keys("C-c");
        await term.waitFor((x) => x.includes("EXITED:0"), "a clean exit");
    });

    it("a broken model picked from the list goes back to the list with the error shown, and another pick works", async () => {
        const models = tempDir();
        writeFileSync(path.join(models, "broken.gguf"), "this is not a model\n");
        copyFileSync(tinyModelPath(), path.join(models, "tiny.gguf"));
        term = startTerminal(["--raw", "--max-tokens", "4"], {env: [`STEER_CHAT_MODELS_DIR=${models}`]});
        await term.waitFor((x) => x.includes("Download a recommended small chat model"), "the pick list");
        term.keys("Down");
        await term.waitFor((x) => /❯ broken\.gguf/.test(x), "broken.gguf selected");
        term.keys("Enter");
        const s = await term.waitFor((x) => /not a GGUF/i.test(x) && x.includes("No --model given."), "the list again, with the error");
        expect(s).toContain(path.join(models, "broken.gguf"));
        expect(s).not.toContain("EXITED:");
        term.keys("Down", "Down");
        await term.waitFor((x) => /❯ tiny\.gguf/.test(x), "tiny.gguf selected");
        term.keys("Enter");
        await term.waitFor((x) => x.includes("tiny.gguf · raw · ctx"), "the chat on the picked model");
        term.keys("C-c");
        await term.waitFor((x) => x.includes("EXITED:0"), "a clean exit");
    });

    it("with no --model and no network, Enter on the first item opens the built-in demo in raw mode and it writes", async () => {
        term = startTerminal(["--max-tokens", "8", "--temperature", "0"], {env: [`STEER_CHAT_MODELS_DIR=${tempDir()}`]});
        await term.waitFor((x) => x.includes("No models in"), "the pick list");
        term.keys("Enter");
        await term.waitFor((x) => x.includes("stories260K.gguf · raw · ctx"), "the demo in raw mode (it has no chat template)");
        await term.typeLine("Once upon a time");
        const screen = await term.waitFor((x) => x.includes("[hit --max-tokens"), "a reply");
        expect(screen).toContain(", there was a little girl");
        term.keys("C-c");
        await term.waitFor((x) => x.includes("EXITED:0"), "a clean exit");
    });

    it("Esc during a first-use recipe training at start-up stops it: one line, exit 2, nothing cached", async () => {
        // 256 wide: the shipped happy.gguf (64) does not fit, so --vector happy trains its recipe for this model (about
        // 2.5 s on one thread here: time enough to press Esc)
        const model = writeSyntheticModel({nEmbd: 256, nLayer: 6, seed: 43});
        const config = tempDir();
        term = startTerminal(["--model", model, "--threads", "1", "--vector", "happy:1"], {env: [`STEER_CHAT_CONFIG_DIR=${config}`]});
        await term.waitFor((x) => x.includes("Training a recipe vector for this model"), "the training progress", 60_000);
        term.keys("Escape");
        const s = await term.waitFor((x) => x.includes("EXITED:"), "the exit");
        expect(s).toContain("steer-chat: Training was cancelled");
        expect(s).toContain("EXITED:2");
        expect(existsSync(path.join(config, "data", "trained"))).toBe(false);
    });
});
