/**
 * Typing into the chat in a real terminal (tmux), as people and scripts do: colour, Enter that arrives with the
 * text (send-keys "text" Enter, ssh, keys typed while the model loads), a bracketed paste, Ctrl+C on a half-typed
 * line and while loading, the preset-name dialog, and the prompt history across runs. A generated model shaped like
 * stories260K keeps these running without the shared model; they need tmux (and fail without it).
 */
import path from "node:path";
import {afterEach, describe, expect, it} from "vitest";
import {fixtureVectors, tempDir, writeSyntheticModel} from "../helpers/steeringTestKit.js";
import {startTerminal, type TerminalSession} from "../helpers/tmux.js";

let term: TerminalSession | undefined;
afterEach(() => term?.kill());

const model = writeSyntheticModel({nEmbd: 64, nLayer: 5, seed: 41, name: "stories-shaped"});
const chat = (env: string[] = [], extra: string[] = []) => startTerminal(["--model", model, "--raw", "--temperature", "0", "--max-tokens", "12",
    "--vector", `${path.join(fixtureVectors, "happy.gguf")}:0.5`, ...extra], {width: 100, height: 40, env});
const statusLine = (s: string) => s.includes(`${path.basename(model)} · raw`);
/** a finished reply's details line ("[hit --max-tokens · ppl 3.10]") */
const replies = (s: string) => s.match(/\[[^\]\n]*ppl \d/g)?.length ?? 0;
/** the SGR parameters of every style escape on the screen */
const styles = (screen: string) => [...screen.matchAll(/\u001b\[([0-9;]*)m/g)].map((m) => m[1]!.split(";"));

describe("typing in a real terminal", () => {
    it("draws in colour (even with CI set), with the prompt's cursor in inverse video", async () => {
        term = chat(["CI=true"]);
        await term.waitFor(statusLine, "the status line");
        await term.typeLine("/vector set happy 2");
        await term.waitFor((s) => s.includes("staged for the next turn"), "the staged marker");
        const params = styles(term.screen({escapes: true}));
        const colours = params.filter((p) => p.some((n) => /^(3[0-7]|9[0-7])$/.test(n)));
        expect(colours.length).toBeGreaterThan(0);
        expect(params.some((p) => p.includes("33"))).toBe(true); // "● staged" in yellow
        expect(params.some((p) => p.includes("7"))).toBe(true); // the cursor
    });

    it("text and Enter in one chunk send it: typed while the model loads, and with send-keys after", async () => {
        term = chat();
        await term.waitFor((s) => s.includes("Loading") || statusLine(s), "the start");
        term.keys("Once upon a time", "Enter");
        let s = await term.waitFor((x) => replies(x) === 1, "the first reply");
        expect(s).toContain("› Once upon a time");
        term.keys("The dog", "Enter");
        s = await term.waitFor((x) => replies(x) === 2, "the second reply");
        expect(s).toContain("› The dog");
        expect(s).not.toMatch(/› .*The dog /); // not a space in the prompt instead of a send
    });

    it("a bracketed paste of two lines stays on the prompt as two lines and is sent as one message", async () => {
        term = chat();
        await term.waitFor(statusLine, "the status line");
        term.paste("first line\nsecond line");
        await term.waitFor((s) => /› first line\n\s+second line/.test(s), "the paste on the prompt");
        term.keys("Enter");
        await term.waitFor((s) => replies(s) === 1, "the reply");
        // anything the paste had sent on its own would be answered before this command runs
        await term.typeLine("/steering");
        const s = await term.waitFor((x) => x.includes("reply 1:"), "the steering record");
        expect(replies(s)).toBe(1);
        expect(s).not.toContain("reply 2:");
        expect(s).toMatch(/› first line\n\s+second line/);
    });

    it("Ctrl+C on a half-typed line clears it and the chat goes on; on the empty prompt it quits", async () => {
        term = chat();
        await term.waitFor(statusLine, "the status line");
        term.keys("-l", "half a thought");
        await term.waitFor((s) => s.includes("› half a thought"), "the typed text");
        term.keys("C-c");
        await term.waitFor((s) => s.includes("› Type a message"), "the cleared prompt");
        await term.typeLine("/steering");
        const s = await term.waitFor((x) => x.includes("next turn: happy +0.50"), "the chat still answering");
        expect(s).not.toContain("half a thought");
        expect(s).not.toContain("EXITED");
        term.keys("C-c");
        await term.waitFor((x) => x.includes("EXITED:0"), "the exit");
    });

    it("Ctrl+C while the model loads leaves cleanly: no stack trace, no error", async () => {
        term = chat();
        await term.waitFor((s) => s.includes("Loading"), "the loading line");
        term.keys("C-c");
        const s = await term.waitFor((x) => x.includes("EXITED:"), "the exit");
        // 130 as a shell reports an interrupt; 0 when the load had already finished (Ctrl+C on the empty prompt)
        expect(s).toMatch(/EXITED:(130|0)\b/);
        expect(s).not.toMatch(/^\s+at /m);
        expect(s).not.toMatch(/Error|failed/i);
    });

    it("Ctrl+S, a name and Enter in one chunk save the preset (no CR in the name)", async () => {
        term = chat();
        await term.waitFor(statusLine, "the status line");
        term.keys("C-s");
        await term.waitFor((s) => s.includes("Save the steering as a preset"), "the name dialog");
        term.keys("calm", "Enter");
        await term.waitFor((s) => s.includes("name: calm · description"), "the description step");
        term.keys("Enter"); // no description
        await term.waitFor((s) => s.includes("Saved preset calm"), "the saved note");
        await term.typeLine("/preset list");
        const s = await term.waitFor((x) => /calm\s+user/.test(x), "the preset list");
        expect(s).toMatch(/calm\s+user\s+\S*happy/);
    });

    it("↑ brings back the prompts of the last session (kept in the data folder)", async () => {
        const data = [`STEER_CHAT_DATA_DIR=${tempDir()}`];
        term = chat(data);
        await term.waitFor(statusLine, "the status line");
        await term.typeLine("Once upon a time");
        await term.waitFor((s) => replies(s) === 1, "the reply");
        term.keys("C-c");
        await term.waitFor((s) => s.includes("EXITED:0"), "the exit");
        term.kill();

        term = chat(data);
        await term.waitFor(statusLine, "the status line");
        term.keys("Up");
        await term.waitFor((s) => s.includes("› Once upon a time"), "the recalled prompt");
        term.keys("Enter");
        await term.waitFor((s) => replies(s) === 1, "the reply to the recalled prompt");
    });

    it("Ctrl+L clears the screen and the chat stays usable", async () => {
        term = chat();
        await term.waitFor(statusLine, "the status line");
        await term.typeLine("Once upon a time");
        await term.waitFor((s) => replies(s) === 1, "the reply");
        term.keys("C-l");
        const s = await term.waitFor((x) => !x.includes("› Once upon a time") && statusLine(x), "the cleared screen");
        expect(s).toContain("Type a message");
        await term.typeLine("/steering");
        await term.waitFor((x) => x.includes("reply 1: happy +0.50"), "the chat still answering");
    });

    it("keys Ink could not read (Ctrl+F1…F4, a mouse report, unknown Ctrl keys, stray bytes) and a 1 MB paste leave the chat alive and answering", async () => {
        term = chat();
        await term.waitFor(statusLine, "the status line");
        // xterm's Ctrl+F1…F4 and an SGR mouse report typed without a paste ended the chat with a stack trace
        for (const key of ["\u001b[1;5P", "\u001b[1;5Q", "\u001b[1;5R", "\u001b[1;5S", "\u001b[<0;10;5M", "\u001b[<0;10;5m", "\u001b[99;5~",
            "\u001b]0;pwned\u0007", "\u009b2J", "\u0085"]) term.bytes(key);
        term.bytes(new Uint8Array([0xff, 0xfe, 0xc3, 0x28, 0x9b, 0x32, 0x4a])); // invalid UTF-8, a raw 8-bit CSI among it
        term.keys("C-u"); // what the invalid bytes typed (U+FFFD and "(2J") goes
        term.keys("-l", "Once upon");
        let s = await term.waitFor((x) => x.includes("› Once upon"), "the typed text after the keys");
        expect(s).not.toMatch(/\[<|;5[PQRS~]|pwned|startsWith/);
        term.keys("Enter");
        s = await term.waitFor((x) => replies(x) === 1, "a reply after the keys");
        expect(s).not.toContain("EXITED");

        // a 1 MB paste: shown at once as rows around the cursor, edited, sent (too long for the context: one line says so)
        const line = "the dog ran far and the cat sat on the mat ".repeat(20);
        const paste = Array.from({length: Math.ceil((1 << 20) / line.length)}, () => line).join("\n");
        term.paste(paste);
        await term.waitFor((x) => /\d+ more rows above/.test(x), "the paste on the prompt", 60_000);
        term.keys("-l", "END");
        await term.waitFor((x) => x.includes("END"), "a key typed after the paste", 60_000);
        term.keys("Enter");
        s = await term.waitFor((x) => /The prompt is \d+ tokens/.test(x), "the long prompt's answer", 60_000);
        expect(s).toMatch(/… \([\d,]+ more characters\)/);
        await term.typeLine("Once upon a time");
        // the long prompt's echo scrolled the first reply away: a reply after this prompt
        s = await term.waitFor((x) => replies(x.slice(x.lastIndexOf("› Once upon a time"))) === 1, "a reply after the paste", 60_000);
        expect(s).not.toContain("EXITED");
    });
});
