/**
 * The steering panel, its keys, the slash commands and the pickers, driven through ink-testing-library on a real
 * ChatSession whose steering controller runs on the in-memory backend (steeringBackend.ts): the same staging and
 * checks as on a model, without one. What needs real replies is in steeringPanel.test.tsx.
 */
import React from "react";
import {afterAll, afterEach, beforeAll, describe, expect, it} from "vitest";
import {render} from "ink-testing-library";
import {PresetStore} from "../../src/presets/presetStore.js";
import {SteeringController} from "../../src/steering/steeringController.js";
import {MemorySteeringBackend} from "../../src/steering/steeringBackend.js";
import {SteeringState} from "../../src/steering/steeringState.js";
import {App} from "../../src/ui/App.js";
import {ChatSession} from "../../src/session/chatSession.js";
import {coefficientBar, SteeringPanel} from "../../src/ui/components/SteeringPanel.js";
import {mkdirSync, readdirSync, readFileSync, writeFileSync} from "node:fs";
import path from "node:path";
import {FakeConversation} from "../helpers/fakeConversation.js";
import type {RecipeTrainer} from "../../src/training/recipeVectors.js";
import {defaultSettings, presetLayer, Settings} from "../../src/session/settings.js";
import {keys, mount, press, settle, typeText, waitForFrame} from "../helpers/ink.js";
import {tempDir, vectorOf, writeVector} from "../helpers/steeringTestKit.js";
import {repoRoot} from "../helpers/tinyModel.js";

describe("SteeringPanel", () => {
    const entry = (name: string, coefficient: number, extra = {}) =>
        ({name, source: `/v/${name}.gguf`, vector: vectorOf(4, [1], () => 1), coefficient, enabled: true, ...extra});

    it("draws each vector's bar, number, on/off and layers, and marks staged changes", () => {
        const state = new SteeringState([entry("happy", 0.6), entry("formal", -1.5, {enabled: false, layers: {start: 3, end: 7}})]);
        const {lastFrame} = render(<SteeringPanel state={state} pending={true} focused={true} selected={1} />);
        const frame = lastFrame()!;
        expect(frame).toContain("staged for the next turn");
        expect(frame).toMatch(/happy\s+\[─+┼█+─+\]\s+\+0\.60\s+on\s+all L1-1/);
        expect(frame).toMatch(/❯ formal\s+\[─*█+┼─+\]\s+-1\.50\s+off\s+L3-7/);
    });

    it("coefficientBar fills from the centre towards the sign, scaled to ±max", () => {
        expect(coefficientBar(0, 2, 11)).toBe("[─────┼─────]");
        expect(coefficientBar(1, 2, 11)).toBe("[─────┼███──]"); // half of +max: 3 of 5 cells, rounded
        expect(coefficientBar(-2, 2, 11)).toBe("[█████┼─────]");
        expect(coefficientBar(9, 2, 11)).toBe("[─────┼█████]");
    });
});

describe("the chat's steering controls (no model)", () => {
    let vectorFile: string;
    const configDir = tempDir();
    const previousConfig = process.env.STEER_CHAT_CONFIG_DIR;
    /** the shape of the generated model steeringPanel.test.tsx loads */
    const shape = {nEmbd: 32, nLayer: 4};

    beforeAll(() => {
        process.env.STEER_CHAT_CONFIG_DIR = configDir;
        vectorFile = writeVector(vectorOf(32, [1, 2, 3], (l, i) => Math.sin(l + i)), "mood.gguf");
    });
    afterAll(() => {
        if (previousConfig == null) delete process.env.STEER_CHAT_CONFIG_DIR;
        else process.env.STEER_CHAT_CONFIG_DIR = previousConfig;
    });

    let cleanup: (() => void) | undefined;
    afterEach(() => cleanup?.());

    /** a steering controller with no model: it stages and checks as with one, and records what it applies */
    const memoryController = () => new SteeringController(new MemorySteeringBackend(shape));

    async function start(makeConversation?: (steering: SteeringController) => FakeConversation, trainRecipe?: RecipeTrainer,
        settings?: Settings) {
        const steering = memoryController();
        const conversation = makeConversation?.(steering) ?? new FakeConversation();
        Object.assign(conversation.sampling, {temperature: 0, maxTokens: 8});
        conversation.beforeTurn = () => steering.applyStaged(); // the turn rule (setupSteering's steeringHooks)
        const presets = new PresetStore({dir: configDir});
        const session = new ChatSession({conversation, modelName: "tiny", steering, presets, trainRecipe, settings});
        const mood = await steering.loadEntry(vectorFile, 0.5);
        session.stage((s) => s.add(mood));
        const app = await mount(<App session={session} />);
        cleanup = () => { app.unmount(); conversation.dispose(); };
        await settle();
        return {...app, steering, session, conversation, presets};
    }

    const send = async (stdin: {write: (data: string) => void}, text: string) => {
        await typeText(stdin, text);
        await press(stdin, keys.enter);
    };
    /** finished replies on screen: each ends with its details line, "[ppl 2.72]" or "[hit --max-tokens · ppl 3.10]" */
    const replies = (frame: string) => frame.match(/\[[^\]\n]*ppl \d/g)?.length ?? 0;
    /** Tab to the panel, then wait until it takes keys (its input turns on in an effect after the frame that shows it) */
    const focusPanel = async (stdin: {write: (data: string) => void}, lastFrame: () => string | undefined) => {
        await press(stdin, keys.tab);
        await waitForFrame(lastFrame, (f) => f.includes("Tab back"));
        await settle();
    };
    /** the frame with Ink's line wrapping undone, to look for a long line */
    const unwrapped = (f: string) => f.replace(/\s+/g, " ");
    const ready = (lastFrame: () => string | undefined) => waitForFrame(lastFrame, (f) => f.includes("› Type a message"));

    it("Tab then ←/→ (Shift ×5), Space, 0 and d change the staged steering; Tab again goes back to the prompt", async () => {
        const {stdin, lastFrame, steering} = await start();
        expect(lastFrame()).toMatch(/mood\s+\[.*\]\s+\+0\.50\s+on/);
        await focusPanel(stdin, lastFrame);
        await press(stdin, keys.right);
        await waitForFrame(lastFrame, (f) => /❯ mood\s+\[.*\]\s+\+0\.60\s+on/.test(f));
        expect(lastFrame()).toContain("staged for the next turn");
        expect(steering.state.get("mood").coefficient).toBe(0.6);
        expect(steering.appliedState.has("mood")).toBe(false); // nothing applied until the next turn

        await press(stdin, keys.shiftRight);
        expect(steering.state.get("mood").coefficient).toBe(1.1);
        await press(stdin, keys.left, keys.shiftLeft);
        expect(steering.state.get("mood").coefficient).toBe(0.5);
        await press(stdin, " ");
        expect(lastFrame()).toMatch(/mood\s+\[.*\]\s+\+0\.50\s+off/);
        await press(stdin, " ", "0");
        expect(steering.state.get("mood")).toMatchObject({coefficient: 0, enabled: true});
        await press(stdin, "d");
        expect(steering.state.entries).toHaveLength(0);
        expect(lastFrame()).toContain("no vectors");

        await press(stdin, keys.tab);
        await typeText(stdin, "d0 a");
        expect(lastFrame()).toContain("› d0 a"); // typed into the prompt, not taken by the panel
    });

    it("keys in one burst (one stdin.write) act one after another: →→→ is +0.3, ↓ Space switches the row moved to, 0 → is 0.10", async () => {
        const {session, stdin, lastFrame, steering} = await start(() => new FakeConversation());
        const calm = await steering.loadEntry(writeVector(vectorOf(32, [2], (l, i) => Math.cos(l + i)), "calm.gguf"), 1);
        session.stage((s) => s.add(calm));
        await waitForFrame(lastFrame, (f) => /calm\s+\[.*\]\s+\+1\.00\s+on/.test(f));
        await focusPanel(stdin, lastFrame);
        stdin.write(keys.right.repeat(3));
        await waitForFrame(lastFrame, (f) => /❯ mood\s+\[.*\]\s+\+0\.80\s+on/.test(f));
        expect(steering.state.get("mood").coefficient).toBe(0.8);
        stdin.write(`${keys.down} `);
        await waitForFrame(lastFrame, (f) => /❯ calm\s+\[.*\]\s+\+1\.00\s+off/.test(f));
        expect(steering.state.entries.map((e) => [e.name, e.coefficient, e.enabled])).toEqual([["mood", 0.8, true], ["calm", 1, false]]);
        stdin.write(` 0${keys.right}`); // " 0" comes to the panel as one text: Space, then 0, then →
        await waitForFrame(lastFrame, (f) => /❯ calm\s+\[.*\]\s+\+0\.10\s+on/.test(f));
        expect(steering.state.get("calm")).toMatchObject({coefficient: 0.1, enabled: true});
        expect(steering.appliedState.has("calm")).toBe(false); // staged for the next turn, as one key at a time is
    });

    it("the arrows stop at the coefficient bound, without an error", async () => {
        const {session, stdin, lastFrame, steering} = await start(() => new FakeConversation());
        session.stage((s) => s.setCoefficient("mood", 999.8));
        await press(stdin, keys.tab, keys.shiftRight);
        await waitForFrame(lastFrame, (f) => /mood\s+\[─+┼█+\]\s+\+1000\.00/.test(f));
        expect(steering.state.get("mood").coefficient).toBe(1000);
        await press(stdin, keys.right);
        expect(steering.state.get("mood").coefficient).toBe(1000);
        expect(lastFrame()).not.toContain("out of range");
        await press(stdin, keys.left);
        expect(steering.state.get("mood").coefficient).toBe(999.9);
    });

    it("typing in the prompt is never hijacked by the panel's keys", async () => {
        const {stdin, lastFrame, steering} = await start();
        await typeText(stdin, "ad0 ");
        await press(stdin, keys.right, keys.left);
        expect(steering.state.get("mood")).toMatchObject({coefficient: 0.5, enabled: true});
        expect(lastFrame()).toContain("› ad0");
    });

    it("Ctrl+C in the panel with a half-typed prompt goes back to the prompt, the text kept", async () => {
        const {stdin, lastFrame} = await start();
        await typeText(stdin, "half a thought");
        await press(stdin, keys.tab);
        await waitForFrame(lastFrame, (f) => f.includes("↑↓ select"));
        await settle(); // the panel's keys attach in an effect after it is drawn
        await press(stdin, keys.ctrlC);
        const frame = await waitForFrame(lastFrame, (f) => f.includes("Tab to adjust"));
        expect(frame).toContain("› half a thought");
    });

    it("slash commands change the steering the same way", async () => {
        const {stdin, lastFrame, steering} = await start();
        for (const command of ["/vector set mood -1.25", "/layers mood 2-3", "/vector off mood"]) {
            await typeText(stdin, command);
            await press(stdin, keys.enter);
        }
        expect(steering.state.get("mood"), lastFrame()).toMatchObject({coefficient: -1.25, enabled: false, layers: {start: 2, end: 3}});
        expect(lastFrame()).toMatch(/mood\s+\[.*\]\s+-1\.25\s+off\s+L2-3/);
        await typeText(stdin, "/vector on mood");
        await press(stdin, keys.enter);
        await typeText(stdin, "/steer off");
        await press(stdin, keys.enter);
        expect(steering.state.get("mood").enabled).toBe(false);
        await typeText(stdin, "/layers mood 2-99");
        await press(stdin, keys.enter);
        expect(lastFrame()).toContain("Invalid layer range 2-99");
        expect(steering.state.get("mood").layers).toEqual({start: 2, end: 3});
    });

    it("Ctrl+S saves the steering as a preset and Ctrl+P loads one, without typing into the prompt", async () => {
        const {session, stdin, lastFrame, steering, presets} = await start();
        await press(stdin, keys.ctrlS);
        expect(lastFrame()).toContain("Save the steering as a preset");
        // the name is one word: "two words" is refused, not split into a name and a description
        // each text in one chunk: ink-text-input (this dialog's field) edits the value of a render before the last,
        // so keys typed one by one get lost when renders lag; a chunk is one edit
        const enter = async (text: string, label = "name: ") => {
            stdin.write(text);
            await waitForFrame(lastFrame, (f) => f.includes(label + text));
        };
        await settle();
        await enter("two words");
        await press(stdin, keys.enter);
        await waitForFrame(lastFrame, (f) => f.includes('"two words" cannot be a name: use 1-64 letters, digits, . _ or -'));
        expect(presets.list().filter((p) => p.origin === "user")).toEqual([]);
        // start again
        await press(stdin, keys.escape);
        await waitForFrame(lastFrame, (f) => !f.includes("Save the steering as a preset"));
        await settle();
        await press(stdin, keys.ctrlS);
        await waitForFrame(lastFrame, (f) => f.includes("name: ") && !f.includes("cannot be a name"));
        await settle();
        await enter("v1.2");
        await press(stdin, keys.enter);
        await waitForFrame(lastFrame, (f) => f.includes("name: v1.2 · description (Enter alone skips):"));
        await enter("two words", "skips): ");
        await press(stdin, keys.enter);
        await waitForFrame(lastFrame, (f) => f.includes("Saved preset v1.2"));
        expect(presets.get("v1.2").preset).toMatchObject({description: "two words", vectors: [{vector: vectorFile, coefficient: 0.5}]});
        // Enter alone skips the description
        await waitForFrame(lastFrame, (f) => !f.includes("Save the steering as a preset"));
        await settle();
        await press(stdin, keys.ctrlS);
        await waitForFrame(lastFrame, (f) => f.includes("Save the steering as a preset"));
        await settle();
        await enter("calm");
        await press(stdin, keys.enter, keys.enter);
        await waitForFrame(lastFrame, (f) => f.includes("Saved preset calm"));
        expect(presets.get("calm").preset).not.toHaveProperty("description");
        expect(presets.get("calm").preset.vectors).toEqual([{vector: vectorFile, coefficient: 0.5}]);
        expect(lastFrame()).toContain("› Type a message"); // the prompt is still empty: no stray "s"

        session.stage((s) => s.setCoefficient("mood", 2));
        await press(stdin, keys.ctrlP);
        expect(lastFrame()).toContain("Load a preset");
        const frame = lastFrame()!;
        const downs = frame.split("\n").filter((l) => /[❯ ] \S+\s+(user|shipped) ·/.test(l)).findIndex((l) => l.includes("calm"));
        expect(downs).toBeGreaterThanOrEqual(0);
        for (let i = 0; i < downs; i++) await press(stdin, keys.down);
        await press(stdin, keys.enter);
        await waitForFrame(lastFrame, (f) => f.includes("Loaded preset calm"));
        expect(steering.state.get("mood").coefficient).toBe(0.5);
    });

    it("Ctrl+S on a name of yours asks before replacing it (n keeps it, y replaces it); a shipped preset's name is refused", async () => {
        const {session, stdin, lastFrame, presets} = await start(() => new FakeConversation());
        await typeText(stdin, "/preset save mine first one");
        await press(stdin, keys.enter);
        await waitForFrame(lastFrame, (f) => f.includes("Saved preset mine"));
        session.stage((s) => s.setCoefficient("mood", 1.5));
        const saveAs = async (name: string) => {
            await press(stdin, keys.ctrlS);
            await waitForFrame(lastFrame, (f) => f.includes("Save the steering as a preset"));
            await settle();
            stdin.write(name);
            await waitForFrame(lastFrame, (f) => f.includes(`name: ${name}`));
            await press(stdin, keys.enter);
        };
        await saveAs("mine");
        await waitForFrame(lastFrame, (f) => f.includes('You already have a preset named "mine": replace it?'));
        await press(stdin, "n");
        await waitForFrame(lastFrame, (f) => f.includes('Kept your preset "mine": choose another name'));
        expect(presets.get("mine").preset.vectors).toEqual([{vector: vectorFile, coefficient: 0.5}]);
        await press(stdin, keys.escape);
        await waitForFrame(lastFrame, (f) => !f.includes("Save the steering as a preset"));
        await settle();

        await saveAs("mine");
        await waitForFrame(lastFrame, (f) => f.includes("replace it?"));
        await press(stdin, "y");
        await waitForFrame(lastFrame, (f) => f.includes("name: mine · description"));
        await press(stdin, keys.enter);
        await waitForFrame(lastFrame, (f) => f.includes("Saved preset mine"));
        expect(presets.get("mine").preset).toMatchObject({description: "first one", vectors: [{vector: vectorFile, coefficient: 1.5}]});
        await waitForFrame(lastFrame, (f) => !f.includes("Save the steering as a preset"));
        await settle();

        const shipped = presets.list().find((p) => p.origin === "shipped")!.preset.name;
        await saveAs(shipped);
        await waitForFrame(lastFrame, (f) => f.includes(`"${shipped}" is a shipped preset and cannot be replaced: choose another name`));
    });

    it("reply-only steering is said in the panel's title and by /steering, and /steer all takes it away", async () => {
        const steering = memoryController();
        const conversation = new FakeConversation();
        const session = new ChatSession({conversation, modelName: "tiny", steering, policy: {current: "reply"}});
        const mood = await steering.loadEntry(vectorFile, 0.5);
        session.stage((s) => s.add(mood));
        expect(session.steerPolicyNote()).toMatch(/^Reply-only steering: only the reply is steered/); // the banner's line
        const app = await mount(<App session={session} />);
        cleanup = () => app.unmount();
        const {stdin, lastFrame} = app;
        await waitForFrame(lastFrame, (f) => f.includes("Steering (reply only)"));
        await typeText(stdin, "/steering");
        await press(stdin, keys.enter);
        await waitForFrame(lastFrame, (f) => f.includes("Reply-only steering: only the reply is steered, the prompt and history are read unsteered"));
        await typeText(stdin, "/steer all");
        await press(stdin, keys.enter);
        await waitForFrame(lastFrame, (f) => f.includes("From the next turn every token is steered") && !f.includes("(reply only)"));
        expect(session.steerPolicyNote()).toBeUndefined();
    });

    it("a /sweep stopped with Esc, or failing half-way, puts the history and the steering back", async () => {
        let sends = 0;
        let failOn = -1;
        const {stdin, lastFrame, steering, conversation} = await start(() => new FakeConversation());
        conversation.script = () => {
            sends++;
            if (sends === failOn) throw new Error("the model fell over");
            return {chunks: ["a", " reply"], pauseBefore: sends === 3 ? 1 : undefined, meanLogProb: -1};
        };
        await send(stdin, "the cat");
        await waitForFrame(lastFrame, (f) => replies(f) === 1);
        const history = conversation.snapshot();

        await send(stdin, "/sweep mood -1..1 0.5"); // sends 2, 3 (paused), …
        await waitForFrame(lastFrame, () => conversation.paused);
        expect(steering.state.get("mood").coefficient).toBe(-0.5); // the trial value, while it runs
        await press(stdin, keys.tab, keys.right); // the sweep owns the steering: no panel, so nothing is lost
        expect(lastFrame()).toContain("Tab to adjust");
        expect(steering.state.get("mood").coefficient).toBe(-0.5);
        await press(stdin, keys.escape);
        const frame = await waitForFrame(lastFrame, (f) => /-0\.50\s+│/.test(f));
        expect(frame).toMatch(/-1\.00\s+│ 2\.72\s+│ a reply/);
        expect(frame).not.toMatch(/\+0\.00\s+│/); // stopped: no further trials
        expect(frame).toMatch(/-0\.50\s+│ \S+\s+│ \[stopped\] a$/m); // the cut-short row says so
        expect(frame).not.toMatch(/-1\.00\s+│.*\[stopped\]/);
        expect(conversation.snapshot()).toEqual(history);
        expect(steering.state.get("mood").coefficient).toBe(0.5);
        expect(steering.hasPendingChanges).toBe(false);

        failOn = sends + 2;
        await send(stdin, "/sweep mood -1..1 0.5");
        await waitForFrame(lastFrame, (f) => f.includes("the model fell over"));
        expect(conversation.snapshot()).toEqual(history);
        expect(steering.state.get("mood").coefficient).toBe(0.5);
        expect(steering.hasPendingChanges).toBe(false);
        failOn = -1;
        await send(stdin, "/compare");
        await waitForFrame(lastFrame, (f) => /steering off\s+│/.test(f));
        expect(conversation.snapshot()).toEqual(history);
    });

    it("Esc during /compare's first half stops it: no table, a line saying so, the history and steering as they were", async () => {
        let sends = 0;
        const {stdin, lastFrame, steering, conversation} = await start(() => new FakeConversation());
        conversation.script = () => {
            sends++;
            return {chunks: ["a", " reply"], pauseBefore: sends === 2 ? 1 : undefined, meanLogProb: -1};
        };
        await send(stdin, "the cat");
        await waitForFrame(lastFrame, (f) => replies(f) === 1);
        const history = conversation.snapshot();
        await send(stdin, "/compare"); // send 2 is the "off" side, paused
        await waitForFrame(lastFrame, () => conversation.paused);
        await press(stdin, keys.escape);
        const frame = await waitForFrame(lastFrame, (f) => unwrapped(f).includes("/compare stopped before the reply without steering was complete: no comparison"));
        expect(frame).not.toMatch(/steering off\s+│/);
        expect(sends).toBe(2); // the steered side never ran
        expect(conversation.snapshot()).toEqual(history);
        expect(steering.state.get("mood").coefficient).toBe(0.5);
        expect(steering.hasPendingChanges).toBe(false);
    });

    it("with two vectors ↑/↓ pick which one the keys change; a adds from the picker; ? shows help; bad adds are one line", async () => {
        mkdirSync(path.join(configDir, "vectors"), {recursive: true});
        writeVector(vectorOf(32, [2, 3], (l, i) => Math.cos(l * i)), "calm.gguf", path.join(configDir, "vectors"));
        const {stdin, lastFrame, steering} = await start();

        await focusPanel(stdin, lastFrame);
        await press(stdin, "a");
        let frame = await waitForFrame(lastFrame, (f) => f.includes("Add a vector (Enter adds"));
        const rows = frame.split("\n").filter((l) => /^[│║ ]*[❯ ] \S+\s+n_embd/.test(l.replace(/^║\s?/, "")));
        const calmRow = rows.findIndex((l) => /\bcalm\b/.test(l));
        expect(frame).toMatch(/calm\s+n_embd 32 · 2 layers · no score · user/);
        await settle(); // the list takes keys from an effect after the frame that shows it
        for (let i = 0; i < calmRow; i++) await press(stdin, keys.down);
        await press(stdin, keys.enter);
        frame = await waitForFrame(lastFrame, (f) => /calm\s+\[.*\]\s+\+1\.00\s+on\s+all L2-3/.test(f));
        expect(steering.state.entries.map((e) => e.name)).toEqual(["mood", "calm"]);

        // the selection starts on the first vector; ↓ moves to calm, so → changes calm only
        await press(stdin, keys.down, keys.right);
        await waitForFrame(lastFrame, (f) => /❯ calm\s+\[.*\]\s+\+1\.10/.test(f));
        expect(steering.state.get("calm").coefficient).toBe(1.1);
        expect(steering.state.get("mood").coefficient).toBe(0.5);
        await press(stdin, keys.up, keys.left);
        await waitForFrame(lastFrame, (f) => /❯ mood\s+\[.*\]\s+\+0\.40/.test(f));
        expect(steering.state.get("mood").coefficient).toBe(0.4);

        await press(stdin, "?");
        // (a test terminal has no height, so the overlay takes 24 rows: a window of the help, scrolled with ↓)
        await waitForFrame(lastFrame, (f) => f.includes("Keys and commands") && f.includes("select a vector") && f.includes("other keys close"));
        await press(stdin, "x");
        await waitForFrame(lastFrame, (f) => !f.includes("Keys and commands")); // the large overlay may take a frame to go
        expect(steering.state.entries).toHaveLength(2); // the key that closed help did nothing else

        await press(stdin, keys.tab);
        const before = steering.state;
        const wide = writeVector(vectorOf(64, [1], () => 1), "wide.gguf");
        await send(stdin, `/vector add ${wide}:1`);
        await waitForFrame(lastFrame, (f) => f.includes("n_embd 64, but the model has 32"));
        await send(stdin, "/vector add /no/such/file.gguf");
        await waitForFrame(lastFrame, (f) => f.includes("Control vector not found: /no/such/file.gguf"));
        expect(steering.state).toBe(before);

        await send(stdin, "/preset list");
        frame = await waitForFrame(lastFrame, (f) => /cheerful\s+shipped\s+happy \+/.test(f));
        expect(frame).toMatch(/melancholy\s+shipped/);
    });

    it("/train NAME says which presets (shipped ones too) now load the trained vector instead of the one the name meant", async () => {
        const trainedDir = path.join(tempDir(), "trained", "tiny");
        mkdirSync(trainedDir, {recursive: true});
        const trainer: RecipeTrainer = async (name) => {
            const vector = vectorOf(32, [2], (l, i) => Math.sin(l * i + 1));
            return {file: writeVector(vector, `${name}.gguf`, trainedDir), vector};
        };
        const {stdin, lastFrame} = await start(() => new FakeConversation(), trainer);
        await send(stdin, "/train happy");
        const frame = await waitForFrame(lastFrame, (f) => unwrapped(f).includes("Presets naming happy now load this trained vector"));
        const said = unwrapped(frame);
        expect(said).toContain("/vector add happy uses it");
        expect(said).toContain(`not ${path.join(repoRoot, "vectors", "happy.gguf")}: cheerful (shipped), dog-person (shipped), melancholy (shipped)`);
        expect(said).not.toMatch(/about-sue \(shipped\)/); // it names sue, not happy
    });

    it("while a training runs, the panel still stages changes but a second job is refused, and Esc still stops the first", async () => {
        // (the picker path: a command sent while busy is refused too, see COMMANDS_WHILE_BUSY)
        mkdirSync(path.join(configDir, "vectors"), {recursive: true});
        writeVector(vectorOf(32, [2, 3], (l, i) => Math.cos(l * i)), "calm.gguf", path.join(configDir, "vectors"));
        let signal: AbortSignal | undefined;
        const trainer: RecipeTrainer = (_name, options = {}) => new Promise((_, reject) => {
            signal = options.signal;
            options.onProgress?.(1, 10);
            signal?.addEventListener("abort", () => reject(new Error("Training was cancelled")));
        });
        const {stdin, lastFrame, steering} = await start(undefined, trainer);
        await send(stdin, "/train happy");
        await waitForFrame(lastFrame, (f) => f.includes("1/10 prompts"));

        await press(stdin, keys.tab, keys.right); // staging is fine while busy
        expect(steering.state.get("mood").coefficient).toBe(0.6);
        await press(stdin, "a"); // no picker: adding could start a second training
        await waitForFrame(lastFrame, (f) => f.includes("Busy: adding a vector waits until the current reply or training ends"));
        expect(lastFrame()).not.toContain("Add a vector (Enter adds");
        await press(stdin, "?"); // help opens, and the Esc that closes it does not stop the training
        await waitForFrame(lastFrame, (f) => f.includes("Keys and commands"));
        await settle();
        await press(stdin, keys.escape);
        await waitForFrame(lastFrame, (f) => !f.includes("Keys and commands"));
        expect(steering.state.entries.map((e) => e.name)).toEqual(["mood"]);
        expect(signal?.aborted).toBe(false);

        await press(stdin, keys.escape);
        await waitForFrame(lastFrame, (f) => f.includes("Training was cancelled"));
        expect(signal?.aborted).toBe(true);
    });

    it("started with --preset, a later preset without settings falls back to the flags, and /system replaces only the prompt", async () => {
        // as openSession makes them for --system "From the flags." --temperature 0.3 --preset pirate
        const started = Settings.of(defaultSettings(), {systemPrompt: "From the flags.", temperature: 0.3})
            .withPreset("pirate", presetLayer({systemPrompt: "Talk like a pirate.", sampling: {temperature: 1.3, topK: 10}}));
        const {stdin, lastFrame, conversation, presets} = await start(undefined, undefined, started);
        expect(conversation.systemPrompt).toBe("From the flags."); // the flags win over --preset's
        expect(conversation.sampling).toMatchObject({temperature: 0.3, topK: 10});
        presets.save({name: "bare", vectors: []});
        await send(stdin, "/preset load bare");
        await waitForFrame(lastFrame, (f) => f.includes("Loaded preset bare"));
        expect(conversation.systemPrompt).toBe("From the flags.");
        expect(conversation.sampling.temperature).toBe(0.3);

        presets.save({name: "hot", vectors: [], sampling: {temperature: 1.9}});
        await send(stdin, "/preset load hot");
        await waitForFrame(lastFrame, (f) => f.includes("Loaded preset hot"));
        await send(stdin, "/system Mine now.");
        await send(stdin, "/preset load bare");
        await waitForFrame(lastFrame, (f) => f.split("Loaded preset bare").length === 3);
        expect(conversation.systemPrompt).toBe("Mine now.");
        expect(conversation.sampling.temperature).toBe(0.3); // not hot's 1.9
    });

    it("a flag wins over a loaded preset, and so does /set; /settings shows each setting and where it came from", async () => {
        const flags = Settings.of(defaultSettings(), {temperature: 0.2}); // as openSession makes them for --temperature 0.2
        const {stdin, lastFrame, conversation, presets} = await start(() => new FakeConversation(), undefined, flags);
        const shows = (text: string) => waitForFrame(lastFrame, (f) => unwrapped(f).includes(text));
        expect(conversation.sampling.temperature).toBe(0.2);
        presets.save({name: "hot", vectors: [], sampling: {temperature: 1.9, topK: 5}});
        await send(stdin, "/preset load hot");
        await shows("Loaded preset hot — from the next turn: no steering kept your temperature (set on the command line, with /set or /history) over the preset's");
        expect(conversation.sampling).toMatchObject({temperature: 0.2, topK: 5});
        await ready(lastFrame);

        await send(stdin, "/set top-p 0.5");
        await shows("From the next reply: temperature 0.2 · top-k 5 · top-p 0.5");
        await send(stdin, "/set seed 7");
        await shows("seed 7 · max-tokens");
        presets.save({name: "narrow", vectors: [], sampling: {topP: 0.9, minP: 0.2}});
        await send(stdin, "/preset load narrow");
        await shows("Loaded preset narrow");
        expect(conversation.sampling).toMatchObject({temperature: 0.2, topK: 40, topP: 0.5, minP: 0.2, seed: 7});
        await ready(lastFrame);
        await send(stdin, "/set seed random");
        await send(stdin, "/settings");
        // each value with where it came from: the flag, the defaults, the user's /set, the loaded preset
        await shows("Sampling: temperature 0.2 (flag) · top-k 40 (default) · top-p 0.5 (yours) · min-p 0.2 (preset narrow) · seed random (yours) · "
            + "max-tokens 1024 (default)");
        await shows("Conversation: system prompt none (default) · history policy keep (default) · steering policy all (default)");
        expect(conversation.sampling.seed).toBeUndefined();
        await send(stdin, "/set temperature -1");
        await shows('Invalid value for temperature: "-1" — use a number >= 0');
        expect(conversation.sampling.temperature).toBe(0.2);
    });

    it("/save over an existing file is refused until --force; the write replaces it whole", async () => {
        const {stdin, lastFrame} = await start(() => new FakeConversation());
        const file = path.join(tempDir(), "notes.md");
        writeFileSync(file, "my own notes\n");
        await send(stdin, `/save ${file}`);
        await waitForFrame(lastFrame, (f) => unwrapped(f).includes(`${file} exists already — /save ${file} --force writes over it`));
        expect(readFileSync(file, "utf8")).toBe("my own notes\n");
        await send(stdin, `/save ${file} --force`);
        await waitForFrame(lastFrame, (f) => unwrapped(f).includes(`Saved the transcript to ${file}`));
        expect(readFileSync(file, "utf8")).toMatch(/^# /);
    });

    it("/save writes the format its name says: plain text for .txt; a name of no known format is refused with a hint", async () => {
        const {stdin, lastFrame} = await start(() => new FakeConversation());
        await send(stdin, "hello");
        await waitForFrame(lastFrame, (f) => f.includes("Hello there!") && f.includes("· /help"));
        const dir = tempDir();
        await send(stdin, `/save ${path.join(dir, "chat.txt")}`);
        await waitForFrame(lastFrame, (f) => unwrapped(f).includes("Saved the transcript to"));
        const text = readFileSync(path.join(dir, "chat.txt"), "utf8");
        expect(text).toMatch(/^steer-chat transcript\n/);
        expect(text).toContain("You:\nhello\n");
        expect(text).toContain("[ended by the model · 3 tokens");
        expect(text).not.toMatch(/^#/m);
        await send(stdin, `/save ${path.join(dir, "chat.html")}`);
        await waitForFrame(lastFrame, (f) => unwrapped(f).includes("end its name in .md (Markdown), .txt (plain text) or .json"));
        expect(readdirSync(dir)).toEqual(["chat.txt"]);
    });

    it("/save FOLDER says it is a folder, with or without --force, and writes nothing", async () => {
        const {stdin, lastFrame} = await start(() => new FakeConversation());
        const folder = tempDir();
        await send(stdin, `/save ${folder}`);
        await waitForFrame(lastFrame, (f) => unwrapped(f).includes(`Transcript file ${folder} is a folder, not a regular file`));
        expect(unwrapped(lastFrame()!)).not.toContain("exists already");
        await send(stdin, `/save ${folder} --force`);
        await waitForFrame(lastFrame, (f) => unwrapped(f).split(`${folder} is a folder`).length === 3);
        expect(readdirSync(folder)).toEqual([]);
    });

    it("re-adding a loaded vector keeps its value and on/off and says so; the same vectors in another order are not staged", async () => {
        const {stdin, lastFrame, steering} = await start(() => new FakeConversation());
        await send(stdin, "/vector set mood 2");
        await send(stdin, "/vector off mood");
        await send(stdin, `/vector add ${vectorFile}`);
        await waitForFrame(lastFrame, (f) => unwrapped(f).includes("mood is loaded already (mood off) and is kept as it is — /vector set mood C changes it"));
        expect(steering.state.entries.map((e) => [e.name, e.coefficient, e.enabled])).toEqual([["mood", 2, false]]);
        await ready(lastFrame);

        const calm = writeVector(vectorOf(32, [2], (l, i) => Math.cos(l + i)), "calm.gguf");
        await send(stdin, "/vector on mood");
        await send(stdin, `/vector add ${calm}:0.5`);
        await waitForFrame(lastFrame, (f) => f.includes("Added calm"));
        await ready(lastFrame);
        steering.applyStaged();
        await send(stdin, "/vector rm mood");
        await send(stdin, `/vector add ${vectorFile}:2`);
        await waitForFrame(lastFrame, (f) => unwrapped(f).includes("Added mood — from the next turn: calm +0.50 · mood +2.00"));
        expect(steering.hasPendingChanges).toBe(false);
        expect(lastFrame()).not.toContain("staged for the next turn");
    });
});
