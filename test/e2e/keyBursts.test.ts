/**
 * Keys that arrive in one burst in a real terminal: several keys in ONE tmux send-keys call reach the app in one
 * read, as a held arrow, ssh or a script sends them. The steering panel, the vector and preset pickers and the
 * start-up model list apply them one after another (src/ui/panelKeys.ts, src/ui/listKeys.ts). Every wait polls the
 * screen for what the keys should show; a generated model shaped like stories260K (64 wide, 5 layers, so the shipped
 * vectors fit) keeps these off the shared model. They need tmux (and fail without it).
 */
import {copyFileSync} from "node:fs";
import path from "node:path";
import {afterEach, describe, expect, it} from "vitest";
import {tempDir, writeSyntheticModel} from "../helpers/steeringTestKit.js";
import {startTerminal, type TerminalSession} from "../helpers/tmux.js";

let term: TerminalSession | undefined;
afterEach(() => term?.kill());

const model = writeSyntheticModel({nEmbd: 64, nLayer: 5, seed: 41, name: "stories-shaped"});
const statusLine = (s: string) => s.includes(`${path.basename(model)} · raw`);
/** a panel row: `❯ sue  [──┼██─] +0.80 +1.2σ  on`, the σ there once the model's calibration is loaded */
const row = (name: string, value: string, onOff: "on" | "off", selected = true) =>
    new RegExp(`${selected ? "❯ " : "  "}${name}\\s+\\[.*\\]\\s+\\${value}(?: [-+]\\d+\\.\\d+σ)?\\s+${onOff}`);
/** the rows of the pick list on screen (inside the overlay's double border, or bare at start-up), as their names */
const listRows = (screen: string) => screen.split("\n").map((l) => l.replace(/^║ /, "").match(/^[❯ ] (\S+)/)?.[1]).filter((n) => n != null);

describe("keys in one burst, in a real terminal", () => {
    it("the panel: Right Right Right is +0.3, Down Space switches the row moved to, 0 Right gives 0.10", async () => {
        term = startTerminal(["--model", model, "--raw", "--max-tokens", "4", "--vector", "sue:0.5", "--vector", "tim:1"], {width: 110, height: 40});
        await term.waitFor((s) => statusLine(s) && row("tim", "+1.00", "on", false).test(s), "the panel with sue and tim");
        term.keys("Tab");
        await term.waitFor((s) => s.includes("↑↓ select"), "focus on the panel");
        term.keys("Right", "Right", "Right");
        await term.waitFor((s) => row("sue", "+0.80", "on").test(s), "sue at +0.80 (+0.3)");
        term.keys("Down", "Space");
        let s = await term.waitFor((x) => row("tim", "+1.00", "off").test(x), "tim, the row moved to, off");
        expect(s).toMatch(row("sue", "+0.80", "on", false));
        term.keys("0", "Right");
        s = await term.waitFor((x) => row("tim", "+0.10", "off").test(x), "tim at +0.10 (zeroed, then +0.1)");
        expect(s).toContain("staged for the next turn");
        // a held arrow: the terminal's repeats, many to a read
        term.keys(...Array<string>(12).fill("Left"));
        await term.waitFor((x) => row("tim", "-1.10", "off").test(x), "tim at -1.10 (twelve steps down)");
    });

    it("the add picker: Down Enter in one send-keys adds the second row", async () => {
        term = startTerminal(["--model", model, "--raw", "--max-tokens", "4", "--vector", "tim:0.5"], {width: 110, height: 40});
        await term.waitFor((s) => statusLine(s) && row("tim", "+0.50", "on", false).test(s), "the panel with tim");
        term.keys("Tab");
        await term.waitFor((s) => s.includes("↑↓ select"), "focus on the panel");
        term.keys("a");
        const picker = await term.waitFor((s) => s.includes("Add a vector (Enter adds"), "the vector picker");
        const names = listRows(picker);
        expect(names.length).toBeGreaterThanOrEqual(2);
        expect(names[1]).not.toBe("tim");
        term.keys("Down", "Enter");
        const s = await term.waitFor((x) => x.includes(`Added ${names[1]}`), `${names[1]} added`);
        expect(s).toMatch(row(names[1]!, "+1.00", "on", false));
        expect(s).not.toContain(`Added ${names[0]}`);
    });

    it("the preset picker: Down Enter in one send-keys loads the second preset", async () => {
        term = startTerminal(["--model", model, "--raw", "--max-tokens", "4"], {width: 110, height: 40});
        await term.waitFor(statusLine, "the status line");
        term.keys("C-p");
        const picker = await term.waitFor((s) => s.includes("Load a preset (Enter loads"), "the preset picker");
        const names = listRows(picker);
        expect(names.length).toBeGreaterThanOrEqual(2);
        term.keys("Down", "Enter");
        const s = await term.waitFor((x) => x.includes(`Loaded preset ${names[1]}`), `preset ${names[1]} loaded`);
        expect(s).not.toContain(`Loaded preset ${names[0]}`);
    });

    it("the overlays: the keys sent with the one that opens them reach them (Ctrl+S name Enter Enter, Tab a Down Enter, C-p Down Enter)", async () => {
        term = startTerminal(["--model", model, "--raw", "--max-tokens", "4", "--vector", "tim:0.5"], {width: 110, height: 40});
        await term.waitFor((s) => statusLine(s) && row("tim", "+0.50", "on", false).test(s), "the panel with tim");
        term.keys("C-s", "mine", "Enter", "Enter");
        let s = await term.waitFor((x) => x.includes("Saved preset mine"), "the preset saved from one burst");
        expect(s).not.toContain("› mine"); // nothing went to the prompt, or was sent as a message
        expect(s).not.toContain("Save the steering as a preset");
        // Tab to the panel, a to open the picker, Down Enter to add its second row: one send-keys
        term.keys("Tab", "a", "Down", "Enter");
        s = await term.waitFor((x) => x.includes("Added "), "a vector added from one burst");
        const added = /Added (\S+)/.exec(s)![1]!;
        term.keys("a");
        const picker = await term.waitFor((x) => x.includes("Add a vector (Enter adds"), "the vector picker, opened again to read it");
        expect(added).toBe(listRows(picker)[1]);
        term.keys("Escape");
        await term.waitFor((x) => !x.includes("Add a vector"), "the picker closed");
        term.keys("C-p", "Down", "Enter");
        s = await term.waitFor((x) => x.includes("Loaded preset"), "a preset loaded from one burst");
        const loaded = /Loaded preset (\S+)/.exec(s)![1]!;
        term.keys("C-p");
        const presets = await term.waitFor((x) => x.includes("Load a preset (Enter loads"), "the preset picker, opened again to read it");
        expect(loaded).toBe(listRows(presets)[1]);
    });

    it("the start-up pick list: Down Enter in one send-keys opens the second item", async () => {
        const models = tempDir();
        copyFileSync(model, path.join(models, "alpha.gguf"));
        copyFileSync(model, path.join(models, "beta.gguf"));
        term = startTerminal(["--raw", "--max-tokens", "4"], {env: [`STEER_CHAT_MODELS_DIR=${models}`]});
        const list = await term.waitFor((x) => x.includes("Download a recommended small chat model"), "the pick list");
        expect(list).toMatch(/❯ built-in demo/);
        expect(list).toMatch(/ {2}alpha\.gguf\s+\d/); // the second item
        term.keys("Down", "Enter");
        const s = await term.waitFor((x) => /· raw · ctx/.test(x), "the chat on the picked model");
        expect(s).toContain("alpha.gguf · raw · ctx");
        term.keys("C-c");
        await term.waitFor((x) => x.includes("EXITED:0"), "a clean exit");
    });
});
