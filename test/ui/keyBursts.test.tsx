/**
 * Keys that arrive in one burst (a held arrow, tmux send-keys, ssh: several keys in one read) through
 * ink-testing-library, each burst one stdin.write: the steering panel and the pick lists apply them one after another
 * to the latest state, as the prompt line does. The panel stages through a real ChatSession whose controller runs on
 * the in-memory backend (steeringBackend.ts): the same checks and staging as with a model, without one
 * (test/ui/steeringPanel.test.tsx drives the chat on a real model).
 */
import React from "react";
import {afterEach, describe, expect, it} from "vitest";
import {render} from "ink-testing-library";
import {SteeringState, type SteeringEntry} from "../../src/steering/steeringState.js";
import {SteeringController} from "../../src/steering/steeringController.js";
import {MemorySteeringBackend} from "../../src/steering/steeringBackend.js";
import {ChatSession} from "../../src/session/chatSession.js";
import {SteeringPanel} from "../../src/ui/components/SteeringPanel.js";
import {SelectList} from "../../src/ui/components/SelectList.js";
import {PresetPicker, VectorPicker} from "../../src/ui/components/Overlays.js";
import {useSteeringPanel} from "../../src/ui/useSteeringPanel.js";
import {PresetStore} from "../../src/presets/presetStore.js";
import {FakeConversation} from "../helpers/fakeConversation.js";
import {keys, waitForFrame} from "../helpers/ink.js";
import {tempDir} from "../helpers/tinyModel.js";

const entry = (name: string, coefficient: number, value = 1): SteeringEntry =>
    ({name, source: `/v/${name}.gguf`, vector: {nEmbd: 4, directions: new Map([[1, new Float32Array(4).fill(value)]])}, coefficient, enabled: true});

function Panel({session, log}: {session: ChatSession, log: string[]}) {
    const panel = useSteeringPanel(session, true,
        {onAdd: () => log.push("add"), onHelp: () => log.push("help"), onError: (message) => log.push(`error: ${message}`)});
    return <SteeringPanel state={panel.state} pending={panel.pending} focused selected={panel.selected} />;
}

const mounted: (() => void)[] = [];
afterEach(() => { for (const unmount of mounted.splice(0)) unmount(); });

type Stdin = ReturnType<typeof render>["stdin"];
/** waits until Ink reads the keyboard (the first useInput switched raw mode on, in an effect after the first frame) */
const reading = async (stdin: Stdin, lastFrame: () => string | undefined) =>
    waitForFrame(lastFrame, () => stdin.listenerCount("readable") > 0);

async function panelOn(...entries: SteeringEntry[]) {
    const backend = new MemorySteeringBackend({nEmbd: 4, nLayer: 4});
    const steering = new SteeringController(backend);
    const session = new ChatSession({conversation: new FakeConversation(), steering});
    session.stage(() => new SteeringState(entries));
    /** each state staged after the start, in order */
    const staged: SteeringState[] = [];
    session.subscribeSteering(() => staged.push(session.steeringState!));
    const log: string[] = [];
    const app = render(<Panel session={session} log={log} />);
    mounted.push(app.unmount);
    await reading(app.stdin, app.lastFrame);
    const coefficients = () => session.steeringState!.entries.map((e) => [e.name, e.coefficient, e.enabled]);
    return {...app, session, backend, staged, log, coefficients};
}

describe("the steering panel, keys in one burst", () => {
    it("→→→ in one write raises the coefficient by 0.3, staged one step at a time", async () => {
        const {stdin, lastFrame, session, staged} = await panelOn(entry("happy", 0.5));
        stdin.write(keys.right.repeat(3));
        await waitForFrame(lastFrame, (f) => /❯ happy\s+\[.*\]\s+\+0\.80\s+on/.test(f));
        expect(staged.map((s) => s.get("happy").coefficient)).toEqual([0.6, 0.7, 0.8]);
        // a held arrow: a long burst, every repeat applied
        stdin.write(keys.left.repeat(12) + keys.shiftRight);
        await waitForFrame(lastFrame, (f) => /❯ happy\s+\[.*\]\s+\+0\.10\s+on/.test(f));
        expect(session.steeringState!.get("happy").coefficient).toBe(0.1);
    });

    it("↓ Space in one write switches the row moved to; ↓ → changes that row only", async () => {
        const {stdin, lastFrame, coefficients} = await panelOn(entry("happy", 0.5), entry("calm", 1));
        stdin.write(`${keys.down} `);
        await waitForFrame(lastFrame, (f) => /❯ calm\s+\[.*\]\s+\+1\.00\s+off/.test(f));
        expect(coefficients()).toEqual([["happy", 0.5, true], ["calm", 1, false]]);
        stdin.write(`${keys.up}${keys.down}${keys.right} `);
        await waitForFrame(lastFrame, (f) => /❯ calm\s+\[.*\]\s+\+1\.10\s+on/.test(f));
        expect(coefficients()).toEqual([["happy", 0.5, true], ["calm", 1.1, true]]);
    });

    it("0 → in one write on a vector at 1.00 gives 0.10; typed keys that come as one text each count", async () => {
        const {stdin, lastFrame, coefficients} = await panelOn(entry("calm", 1));
        stdin.write(`0${keys.right}`);
        await waitForFrame(lastFrame, (f) => /❯ calm\s+\[.*\]\s+\+0\.10\s+on/.test(f));
        expect(coefficients()).toEqual([["calm", 0.1, true]]);
        stdin.write("  0"); // Space, Space, 0: Ink hands these over as one text "  0"
        await waitForFrame(lastFrame, (f) => /❯ calm\s+\[.*\]\s+\+0\.00\s+on/.test(f));
        expect(coefficients()).toEqual([["calm", 0, true]]);
    });

    it("a refused change leaves the steering as it was and the rest of the burst goes on from it", async () => {
        // the sum at layer 1 is 3e38·happy + 1.4e38·calm: float32 holds it up to about 3.4e38, so happy at 0.7 (with
        // calm at 1) overflows, while happy at 0.6 with calm at 1.1 does not
        const {stdin, lastFrame, session, log} = await panelOn(entry("happy", 0.5, 3e38), entry("calm", 1, 1.4e38));
        stdin.write(keys.right.repeat(3) + keys.down + keys.right);
        await waitForFrame(lastFrame, (f) => /❯ calm\s+\[.*\]\s+\+1\.10/.test(f));
        expect(session.steeringState!.entries.map((e) => e.coefficient)).toEqual([0.6, 1.1]);
        expect(log).toEqual([expect.stringMatching(/^error: .*overflow float32/), expect.stringMatching(/^error: .*overflow float32/)]);
    });

    it("each key's change is checked once, by the session, and that mix is what the next turn applies", async () => {
        const {stdin, lastFrame, session, backend} = await panelOn(entry("happy", 0.5));
        const mixesBefore = backend.mixes.length;
        stdin.write(keys.right.repeat(2));
        await waitForFrame(lastFrame, (f) => /❯ happy\s+\[.*\]\s+\+0\.70\s+on/.test(f));
        expect(backend.mixes.length - mixesBefore).toBe(2); // one mix per key: its check
        const checked = backend.mixes.at(-1)!;
        session.steering!.applyStaged();
        expect(backend.mixes.length - mixesBefore).toBe(2); // not mixed again to apply
        expect(backend.current).toBe(checked);
        expect(checked.data[0]).toBe(Math.fround(0.7));
    });

    it("d then → in one write changes the row left selected; text after a or ? is not the panel's", async () => {
        const {stdin, lastFrame, coefficients, log} = await panelOn(entry("happy", 0.5), entry("calm", 1));
        stdin.write(`${keys.down}d${keys.right}`);
        await waitForFrame(lastFrame, (f) => /❯ happy\s+\[.*\]\s+\+0\.60/.test(f));
        expect(coefficients()).toEqual([["happy", 0.6, true]]);
        stdin.write("a0"); // one text, as typed together: the 0 was meant for the picker a opens
        await waitForFrame(lastFrame, () => log.length === 1);
        stdin.write("?d");
        await waitForFrame(lastFrame, () => log.length === 2);
        expect(log).toEqual(["add", "help"]);
        expect(coefficients()).toEqual([["happy", 0.6, true]]);
    });
});

/** the rows of a pick list on screen, as their labels in order */
const rowsOf = (frame: string) => frame.split("\n").map((l) => l.replace(/^[║│] /, "").match(/^[❯ ] (\S+)/)?.[1]).filter((l) => l != null);

describe("the pick lists, keys in one burst", () => {
    it("SelectList: ↓ Enter in one write chooses the second row, once; Esc after a choice does not cancel", async () => {
        const chosen: string[] = [];
        let cancelled = 0;
        const items = ["one", "two", "three"].map((label) => ({label, value: label}));
        const {stdin, lastFrame, unmount} = render(<SelectList items={items} onSelect={(v) => chosen.push(v)}
            onCancel={() => cancelled++} />);
        mounted.push(unmount);
        await reading(stdin, lastFrame);
        stdin.write(`${keys.down}${keys.enter}${keys.down}${keys.enter}`);
        await waitForFrame(lastFrame, () => chosen.length > 0);
        expect(chosen).toEqual(["two"]);
        stdin.write(keys.escape);
        await waitForFrame(lastFrame, (f) => f.includes("❯ two"));
        expect(cancelled).toBe(0);
    });

    it("the vector picker: ↓ ↓ Enter in one write adds the third row", async () => {
        const picked: string[] = [];
        const {stdin, lastFrame, unmount} = render(<VectorPicker onPick={(name) => picked.push(name)} onClose={() => picked.push("(closed)")} />);
        mounted.push(unmount);
        const frame = await waitForFrame(lastFrame, (f) => f.includes("Add a vector (Enter adds"));
        const rows = rowsOf(frame);
        expect(rows.length).toBeGreaterThanOrEqual(3);
        await reading(stdin, lastFrame); // the list reads keys once the folders are read and it is drawn
        stdin.write(`${keys.down}${keys.down}${keys.enter}`);
        await waitForFrame(lastFrame, () => picked.length > 0);
        expect(picked).toEqual([rows[2]]);
    });

    it("the preset picker: ↓ Enter in one write loads the second preset", async () => {
        const store = new PresetStore({dir: tempDir()});
        await store.save({name: "aaa-first", vectors: []});
        const picked: string[] = [];
        const {stdin, lastFrame, unmount} = render(<PresetPicker store={store} onPick={(name) => picked.push(name)} onClose={() => picked.push("(closed)")} />);
        mounted.push(unmount);
        const frame = await waitForFrame(lastFrame, (f) => f.includes("Load a preset"));
        const rows = rowsOf(frame);
        expect(rows[0]).toBe("aaa-first");
        await reading(stdin, lastFrame);
        stdin.write(`${keys.down}${keys.enter}`);
        await waitForFrame(lastFrame, () => picked.length > 0);
        expect(picked).toEqual([rows[1]]);
    });
});
