/**
 * Keys that arrive in one burst with the key that opens an overlay (tmux send-keys, ssh, a paste, a quick typist):
 * Ctrl+S and the name and Enter, `a` and ↓ Enter, Ctrl+P and ↓ Enter, `?` and the key that closes the help. The
 * overlay is drawn, and would start listening, only after the burst is read; the keys reach it all the same, in
 * order (src/ui/keyRouter.ts), and none of them lands in the prompt. The App reads the chat's own keyboard
 * (TerminalKeyboard over a fake terminal), so each `tty.type` is one read that is split into keys as in the chat; the
 * session's steering runs on the in-memory backend.
 */
import React from "react";
import {render} from "ink";
import {afterAll, afterEach, beforeAll, describe, expect, it} from "vitest";
import {App} from "../../src/ui/App.js";
import {ChatSession} from "../../src/session/chatSession.js";
import {PresetStore} from "../../src/presets/presetStore.js";
import {SteeringController} from "../../src/steering/steeringController.js";
import {MemorySteeringBackend} from "../../src/steering/steeringBackend.js";
import {listVectors} from "../../src/steering/vectorLibrary.js";
import {listRecipes} from "../../src/training/recipes.js";
import {vectorPickerItems} from "../../src/ui/components/Overlays.js";
import {TerminalKeyboard} from "../../src/ui/terminalKeyboard.js";
import {FakeConversation} from "../helpers/fakeConversation.js";
import {EffectFlush, FakeStdout, FakeTty, inAct, keys, Recorder, settle, waitForFrame} from "../helpers/ink.js";
import {tempDir, vectorOf, writeVector} from "../helpers/steeringTestKit.js";

const configDir = tempDir();
const previousConfig = process.env.STEER_CHAT_CONFIG_DIR;
/** stories260K's shape: the shipped vectors fit it, so the add picker has rows that add */
const shape = {nEmbd: 64, nLayer: 5};
let vectorFile: string;

beforeAll(() => {
    process.env.STEER_CHAT_CONFIG_DIR = configDir;
    vectorFile = writeVector(vectorOf(64, [1, 2, 3], (l, i) => Math.sin(l + i) / 4), "mood.gguf");
});
afterAll(() => {
    if (previousConfig == null) delete process.env.STEER_CHAT_CONFIG_DIR;
    else process.env.STEER_CHAT_CONFIG_DIR = previousConfig;
});

let cleanup: (() => void) | undefined;
afterEach(() => {
    cleanup?.();
    cleanup = undefined;
});

async function startChat({rows = 40} = {}) {
    const steering = new SteeringController(new MemorySteeringBackend(shape));
    const conversation = new FakeConversation();
    conversation.beforeTurn = () => steering.applyStaged();
    const presets = new PresetStore({dir: configDir});
    const session = new ChatSession({conversation, modelName: "tiny", steering, presets});
    const mood = await steering.loadEntry(vectorFile, 0.5);
    session.stage((s) => s.add(mood));
    const tty = new FakeTty();
    const board = new TerminalKeyboard(tty, new Recorder(), () => undefined).start();
    const stdout = new FakeStdout();
    stdout.rows = rows;
    let instance: ReturnType<typeof render> | undefined;
    await inAct(() => {
        instance = render(<><App session={session} /><EffectFlush /></>, {stdout: stdout as unknown as NodeJS.WriteStream,
            stdin: board as unknown as NodeJS.ReadStream, debug: true, exitOnCtrlC: false, patchConsole: false});
    });
    cleanup = () => {
        instance?.unmount();
        board.stop();
        conversation.dispose();
    };
    const lastFrame = stdout.lastFrame;
    await waitForFrame(lastFrame, (f) => f.includes("Type a message"));
    await settle();
    /** one read from the terminal; when it returns, Ink has read every key in it and React has drawn what they did */
    const burst = async (chunk: string) => {
        await inAct(async () => {
            tty.type(chunk);
            await new Promise<void>((resolve) => setImmediate(resolve));
        });
        await settle();
    };
    return {session, steering, presets, conversation, lastFrame, burst};
}

describe("keys in the burst that opens an overlay", () => {
    it("Ctrl+S, a name, Enter, Enter in one read save the preset; nothing reaches the prompt", async () => {
        const {lastFrame, burst, presets, conversation} = await startChat();
        await burst(`${keys.ctrlS}mine${keys.enter}${keys.enter}`);
        const frame = await waitForFrame(lastFrame, (f) => f.includes("Saved preset mine"));
        expect(presets.get("mine").preset).toMatchObject({vectors: [{vector: vectorFile, coefficient: 0.5}]});
        expect(presets.get("mine").preset).not.toHaveProperty("description");
        expect(frame).not.toContain("Save the steering as a preset");
        expect(frame).toContain("› Type a message"); // the prompt stayed empty
        expect(conversation.sent).toEqual([]);
    });

    it("a name and its description in one read; the replace question and its answer in the next", async () => {
        const {lastFrame, burst, presets, session} = await startChat();
        await burst(`${keys.ctrlS}calm${keys.enter}quiet evening${keys.enter}`);
        await waitForFrame(lastFrame, (f) => f.includes("Saved preset calm"));
        expect(presets.get("calm").preset.description).toBe("quiet evening");
        session.stage((s) => s.setCoefficient("mood", 1.5));
        // the name of a preset of yours asks first: y, then Enter for no description, all in one read
        await burst(`${keys.ctrlS}calm${keys.enter}y${keys.enter}`);
        await waitForFrame(lastFrame, (f) => f.split("Saved preset calm").length === 3);
        expect(presets.get("calm").preset).toMatchObject({description: "quiet evening", vectors: [{vector: vectorFile, coefficient: 1.5}]});
        // any other key keeps it: the dialog goes back to the name, and the name typed after it is the one saved
        session.stage((s) => s.setCoefficient("mood", 2));
        await burst(`${keys.ctrlS}calm${keys.enter}nother${keys.enter}${keys.enter}`);
        await waitForFrame(lastFrame, (f) => f.includes("Saved preset other"));
        expect(presets.get("calm").preset.vectors).toEqual([{vector: vectorFile, coefficient: 1.5}]);
        expect(presets.get("other").preset.vectors).toEqual([{vector: vectorFile, coefficient: 2}]);
        expect(lastFrame()).toContain("› Type a message");
    });

    it("Ctrl+P, ↓, Enter in one read load the second preset", async () => {
        const {lastFrame, burst, presets, steering} = await startChat();
        await presets.save({name: "aaa-first", vectors: []});
        await presets.save({name: "aab-second", vectors: [{vector: vectorFile, coefficient: -1}]});
        const names = presets.list().map((p) => p.preset.name);
        expect(names.slice(0, 2)).toEqual(["aaa-first", "aab-second"]);
        await burst(`${keys.ctrlP}${keys.down}${keys.enter}`);
        const frame = await waitForFrame(lastFrame, (f) => f.includes("Loaded preset aab-second"));
        expect(frame).not.toContain("Loaded preset aaa-first");
        expect(frame).not.toContain("Load a preset");
        expect(steering.state.get("mood").coefficient).toBe(-1);
    });

    it("a, ↓, Enter in one read (in the panel) add the second row of the vector picker, once it is read", async () => {
        const {lastFrame, burst, session} = await startChat();
        const rows = vectorPickerItems(await listVectors(session.trainedDir), listRecipes().map((r) => r.name), shape);
        expect(rows.length).toBeGreaterThanOrEqual(2);
        await burst(keys.tab);
        await waitForFrame(lastFrame, (f) => f.includes("↑↓ select"));
        await burst(`a${keys.down}${keys.enter}`);
        const frame = await waitForFrame(lastFrame, (f) => f.includes(`Added ${rows[1]!.value}`));
        expect(frame).not.toContain(`Added ${rows[0]!.value}`);
        expect(session.steeringState!.entries.map((e) => e.name)).toEqual(["mood", rows[1]!.value]);
    });

    it("? and another key in one read open the help and close it again; the key after it is the prompt's", async () => {
        const {lastFrame, burst} = await startChat();
        await burst(keys.tab);
        await waitForFrame(lastFrame, (f) => f.includes("↑↓ select"));
        await burst(`?x${keys.tab}`); // x closes the help; Tab (in the panel) goes back to the prompt
        await burst("hello");
        const frame = await waitForFrame(lastFrame, (f) => f.includes("› hello"));
        expect(frame).not.toContain("Keys and commands");
        expect(frame).toContain("Tab to adjust");
    });

    it("F1 and ↓ in one read open the help scrolled down a row; the F1 that opened it does not close it", async () => {
        const {lastFrame, burst} = await startChat({rows: 14});
        await burst(`\u001bOP${keys.down}${keys.down}`);
        const frame = await waitForFrame(lastFrame, (f) => f.includes("Keys and commands"));
        expect(frame).toMatch(/3-\d+\/\d+ ↑↓ scroll/);
        await burst("q");
        await waitForFrame(lastFrame, (f) => !f.includes("Keys and commands"));
    });

    it("Tab and → → in one read move the focus to the panel and raise the coefficient twice", async () => {
        const {lastFrame, burst, session} = await startChat();
        await burst(`${keys.tab}${keys.right}${keys.right}x`);
        await waitForFrame(lastFrame, (f) => /❯ mood\s+\[.*\]\s+\+0\.70/.test(f));
        expect(session.steeringState!.get("mood").coefficient).toBeCloseTo(0.7, 10);
        expect(lastFrame()).toContain("› Type a message"); // the x was the panel's (it does nothing there)
    });

    it("keys after the one that closes an overlay go where they would have gone: Ctrl+S Enter (no name) and text", async () => {
        const {lastFrame, burst, presets} = await startChat();
        const before = presets.list().length;
        await burst(`${keys.ctrlS}${keys.enter}hi there`);
        const frame = await waitForFrame(lastFrame, (f) => f.includes("› hi there"));
        expect(frame).not.toContain("Save the steering as a preset");
        expect(presets.list()).toHaveLength(before);
    });
});
