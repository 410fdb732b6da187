/**
 * The read-out meter in a real terminal (tmux): after a reply the panel shows what sue read on it; steering sue
 * the other way and writing the reply again (same seed) moves the meter down. Skips cleanly without tmux.
 */
import {afterEach, describe, expect, it} from "vitest";
import {startTerminal, type TerminalSession} from "../helpers/tmux.js";

let term: TerminalSession | undefined;
afterEach(() => term?.kill());

const reads = (screen: string) => {
    const match = /sue\s+\[.*\]\s+[+-]\d\.\d\d(?: [-+]\d+\.\d+σ)?\s+on\s+all L1-4\s+reads ([+-]\d\.\d)/.exec(screen);
    return match ? Number(match[1]) : undefined;
};

describe("the read-out meter in a real terminal", () => {
    it("shows what sue read on the last reply and moves after a steering change", async () => {
        term = startTerminal(["--model", "demo", "--vector", "sue:1", "--temperature", "0.8", "--seed", "3", "--max-tokens", "30", "--threads", "1"],
            {width: 110, height: 45});
        await term.waitFor((s) => /sue\s+\[.*\]\s+\+1\.00(?: [-+]\d+\.\d+σ)?\s+on/.test(s), "the panel with sue at +1.00");
        expect(reads(term.screen())).toBeUndefined(); // nothing read before the first reply
        await term.typeLine("Once upon a time");
        const first = reads(await term.waitFor((s) => reads(s) != null, "the first read-out", 120_000))!;
        await term.typeLine("/vector set sue -1");
        await term.waitFor((s) => s.includes("Next turn: sue -1.00"), "the staged change");
        await term.typeLine("/regen");
        const screen = await term.waitFor((s) => s.includes("↻ Once upon a time") && reads(s) != null && reads(s) !== first, "the meter moving", 120_000);
        expect(reads(screen)!).toBeLessThan(first);
    });
});
