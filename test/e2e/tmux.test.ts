/**
 * The real binary in a real terminal (tmux): type a prompt, read the reply off the screen, steer with the panel's
 * keys, and quit with Ctrl+C. Skips cleanly without tmux.
 */
import {execFileSync} from "node:child_process";
import path from "node:path";
import {afterEach, describe, expect, it} from "vitest";
import {fixtureVectors, repoRoot, storiesModel} from "../helpers/steeringTestKit.js";
import {startTerminal, type TerminalSession} from "../helpers/tmux.js";

let term: TerminalSession | undefined;
afterEach(() => term?.kill());

describe("steer-chat in a real terminal", () => {
    it("streams a reply to a typed prompt, and Ctrl+C on the idle prompt quits", async () => {
        term = startTerminal(["--model", storiesModel, "--raw", "--temperature", "0", "--max-tokens", "30"], {width: 110, height: 45});
        await term.waitFor((s) => s.includes("stories260K.gguf · raw · ctx"), "the status line");
        await term.typeLine("Once upon a time");
        const text = await term.waitFor((s) => s.includes("[hit --max-tokens"), "the reply");
        expect(text).toContain("› Once upon a time");
        expect(text).toContain(", there was a little girl named Lily");
        term.keys("C-c");
        await term.waitFor((s) => s.includes("EXITED:0"), "the exit");
    });

    it("--model demo says what to type and which vectors and presets steer it, and writes 200-token replies unless told", async () => {
        term = startTerminal(["--model", "demo"], {width: 120, height: 40});
        const start = await term.waitFor((s) => s.includes("stories260K.gguf · raw · ctx"), "the status line");
        expect(start.replace(/\s+/g, " ")).toContain('Try "Once upon a time", then /vector add sue or tim');
        expect(start).toContain("/preset load about-tim");
        await term.typeLine("/settings");
        await term.waitFor((s) => s.includes("max-tokens 200"), "the demo's max-tokens");
        term.kill();
        term = startTerminal(["--model", "demo", "--max-tokens", "30"], {width: 120, height: 40});
        await term.waitFor((s) => s.includes("stories260K.gguf · raw · ctx"), "the status line");
        await term.typeLine("/settings");
        await term.waitFor((s) => s.includes("max-tokens 30 (flag)"), "--max-tokens kept, said to be the flag's");
    });

    it("a base model without --raw opens in chat mode and says it has no chat template, suggesting --raw", async () => {
        term = startTerminal(["--model", storiesModel], {width: 120, height: 40});
        const start = await term.waitFor((s) => s.includes("stories260K.gguf · chat · ctx"), "the status line");
        expect(start.replace(/\s+/g, " ")).toMatch(/The model has no chat template \(a base model\?\): chatting through node-llama-cpp's generic \S+ format; --raw continues text as it is/);
    });

    it("starts with --vector f:0.5; Tab then Right shows 0.6; the next reply is made with 0.6", async () => {
        const happy = path.join(fixtureVectors, "happy.gguf");
        term = startTerminal(["--model", storiesModel, "--raw", "--temperature", "0", "--max-tokens", "24", "--vector", `${happy}:0.5`], {width: 110, height: 45});
        await term.waitFor((s) => /happy\s+\[.*\]\s+\+0\.50(?: [-+]\d+\.\d+σ)?\s+on/.test(s), "the steering panel at +0.50");
        await term.typeLine("Once upon a time");
        await term.waitFor((s) => s.includes("[hit --max-tokens"), "the first reply");

        term.keys("Tab");
        await term.waitFor((s) => s.includes("↑↓ select"), "focus on the panel");
        term.keys("Right");
        await term.waitFor((s) => /❯ happy\s+\[.*\]\s+\+0\.60(?: [-+]\d+\.\d+σ)?\s+on/.test(s) && s.includes("staged for the next turn"), "+0.60 staged");
        term.keys("Tab");
        await term.waitFor((s) => s.includes("Tab to adjust"), "focus back on the prompt");

        await term.typeLine("The dog");
        await term.waitFor((s) => s.split("[hit --max-tokens").length === 3, "the second reply");
        await term.typeLine("/steering");
        const text = await term.waitFor((s) => s.includes("reply 2:"), "the steering record");
        expect(text).toContain("reply 1: happy +0.50");
        expect(text).toContain("reply 2: happy +0.60");
        expect(text).not.toContain("staged for the next turn");

        // the second reply is exactly what ask makes with 0.6 from the same transcript (raw mode: the text so far)
        const ask = (coefficient: number, prompt: string) => execFileSync(process.execPath, [path.join(repoRoot, "bin", "steer-chat.js"),
            "ask", "--raw", "--temperature", "0", "--max-tokens", "24", "--model", storiesModel, "--vector", `${happy}:${coefficient}`, prompt],
        {encoding: "utf8"});
        const firstReply = ask(0.5, "Once upon a time");
        const secondReply = ask(0.6, `Once upon a time${firstReply}\nThe dog`);
        expect(secondReply).not.toBe(ask(0.5, `Once upon a time${firstReply}\nThe dog`));
        const afterSecondPrompt = text.slice(text.indexOf("› The dog"));
        expect(afterSecondPrompt.replace(/\s+/g, " ")).toContain(secondReply.replace(/\s+/g, " ").trim());
    });

    it("a resize while a reply is written leaves no stale rows of the old screen (a partial reply, a broken border)", async () => {
        term = startTerminal(["--model", storiesModel, "--raw", "--temperature", "0", "--max-tokens", "200"], {width: 100, height: 30});
        await term.waitFor((s) => s.includes("stories260K.gguf · raw · ctx"), "the status line");
        await term.typeLine("Once upon a time");
        await term.waitFor((s) => s.includes("writing (Esc to stop)"), "the reply being written");
        term.tmux("resize-window", "-t", term.name, "-x", "60", "-y", "30");
        // the screen is printed again once the width has rested (RESIZE_REDRAW_MS), which may come after the reply ends
        // on a busy machine: wait for a whole screen rather than judging the first one that shows the reply's end
        // (a finished reply before the resize is fine too: the screen must be whole either way)
        const whole = (x: string) => {
            const rows = x.split("\n");
            return x.includes("[hit --max-tokens") && rows.filter((l) => l.includes("╭")).length === 1 // the panel's top border, once
                && rows.filter((l) => l.includes("Steering  Tab to adjust")).length === 1
                && rows.filter((l) => l.startsWith(", there was a little girl")).length === 1; // the reply once
        };
        const s = await term.waitFor(whole, "the reply, on a whole screen (one border, one panel title, the reply once)");
        const lines = s.split("\n");
        for (const line of lines.slice(-8)) expect([...line].length, line).toBeLessThanOrEqual(60);
    });

    it("at 40×12 the help overlay fits the screen with its title, and ↓ scrolls it", async () => {
        term = startTerminal(["--model", storiesModel, "--raw"], {width: 40, height: 12});
        await term.waitFor((s) => s.includes("stories260K.gguf"), "the status line");
        term.keys("F1");
        const s = await term.waitFor((x) => x.includes("Keys and commands"), "the help overlay");
        expect(s).toMatch(/1-4\/\d+ ↑↓ scroll/);
        expect(s.trimEnd().split("\n").length).toBeLessThanOrEqual(12);
        term.keys("Down");
        const scrolled = await term.waitFor((x) => /2-5\/\d+/.test(x), "the overlay scrolled");
        expect(scrolled).toContain("Keys and commands");
        term.keys("q");
        await term.waitFor((x) => !x.includes("Keys and commands"), "the overlay closed");
    });

    it("ask on a terminal ends its reply with a line break, so the shell's next line starts clean", async () => {
        term = startTerminal(["ask", "--model", storiesModel, "--raw", "--temperature", "0", "--max-tokens", "10", "Once upon a time"], {width: 100, height: 10});
        const s = await term.waitFor((x) => x.includes("EXITED:"), "the exit");
        const lines = s.split("\n").map((l) => l.trimEnd()).filter((l) => l !== "");
        expect(lines.at(-1)).toBe("EXITED:0");
        expect(lines.at(-2)).toMatch(/^, there was/);
    });

    it("ask with --when on a terminal: the gate's decision is a line of its own after the reply", async () => {
        term = startTerminal(["ask", "--model", "demo", "--temperature", "0", "--max-tokens", "12", "--vector", "sue:1", "--when", "sue>0.3",
            "Tim went to the park"], {width: 100, height: 10});
        const s = await term.waitFor((x) => x.includes("EXITED:"), "the exit");
        const lines = s.split("\n").map((l) => l.trimEnd()).filter((l) => l !== "");
        expect(lines.at(-1)).toBe("EXITED:0");
        expect(lines.at(-2)).toMatch(/^steer-chat: when sue>0\.3: prompt z -?\d+\.\d+, (not )?steered$/);
        expect(lines.at(-3)).not.toContain("steer-chat:");
    });
});
