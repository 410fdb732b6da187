/**
 * The live read-out: its text layouts (meter, per-layer bars, token heat map), the reply reader on the demo model
 * (queued reads, layer ranges, the same numbers as `read`), and the chat on the demo model: the panel shows what
 * each vector read on the last reply, it moves when the steering changes, /readout shows the detail and /save keeps it.
 */
import {readFileSync} from "node:fs";
import path from "node:path";
import React from "react";
import {afterAll, afterEach, beforeAll, describe, expect, it} from "vitest";
import {steeringHooks} from "../../src/session/setupSteering.js";
import {createConversation} from "../../src/engine/conversation.js";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {ConceptReader} from "../../src/steering/conceptReader.js";
import {loadControlVector} from "../../src/steering/loadControlVector.js";
import {ReplyReader} from "../../src/steering/replyReadout.js";
import {SteeringController} from "../../src/steering/steeringController.js";
import type {SteeringEntry} from "../../src/steering/steeringState.js";
import {App} from "../../src/ui/App.js";
import {ChatSession} from "../../src/session/chatSession.js";
import {heatMap, readoutReport, readsLabel, shadeOf, zBar} from "../../src/ui/readoutView.js";
import {parseSlashCommand} from "../../src/ui/slashCommands.js";
import {keys, mount, press, typeText, waitForFrame} from "../helpers/ink.js";
import {repoRoot, storiesModelPath, tempDir} from "../helpers/tinyModel.js";

describe("read-out layouts", () => {
    it("the meter, the shades and the per-layer bar", () => {
        expect(readsLabel(1.26)).toBe("reads +1.3");
        expect(readsLabel(-0.04)).toBe("reads -0.0");
        expect(readsLabel(undefined)).toBe("");
        expect([-2, -0.5, 0.4, 0.5, 1, 2.5, 3].map(shadeOf).join("")).toBe("·  ░▒▓█");
        expect(zBar(1, 3)).toBe("   │██ ");
        expect(zBar(-9, 3)).toBe("███│   ");
        expect(zBar(0, 3)).toBe("   │   ");
    });

    it("the heat map puts each token's shade under its characters, wraps, and breaks at newlines", () => {
        const lines = heatMap([", there", " was", " Sue", ".", "\n", "Sue", " ran"], [0, 0.6, 3.2, 0, 0, 1.5, -1.2], 14);
        expect(lines).toEqual([
            ", there was", "       ░░░░",
            " Sue.", "████",
            "Sue ran", "▒▒▒····"
        ]);
    });

    it("/readout lists each vector with its layers and heat map", () => {
        const report = readoutReport({tokenTexts: ["A", " cat"], seconds: 0.01,
            vectors: [{name: "sue", z: 0.5, layers: [{layer: 1, meanProjection: 0, z: 0.25}, {layer: 2, meanProjection: 0, z: 0.75}], tokenZ: [0, 2]}]});
        expect(report.split("\n")).toEqual([
            "Read-out of the last reply (2 tokens, unsteered, in 0.01 s): ░▒▓█ z ≥ 0.5/1/2/3, · z ≤ −1",
            "sue reads +0.50 (z against a neutral text; mean over the reply and layers 1, 2)",
            "  L1    +0.25        │█     ",
            "  L2    +0.75        │██    ",
            "  A cat",
            "   ▓▓▓▓"
        ]);
    });

    it("/readout is a command", () => {
        expect(parseSlashCommand("/readout")).toEqual({kind: "readout"});
    });
});

describe("the read-out on the demo model", () => {
    let loaded: LoadedModel;
    let entries: SteeringEntry[];
    beforeAll(async () => {
        loaded = await loadModel(storiesModelPath, {gpu: false, contextSize: 512, threads: 1});
        const entry = async (name: string, layers?: {start: number, end: number}): Promise<SteeringEntry> => {
            const source = path.join(repoRoot, "vectors", `${name}.gguf`);
            return {name, source, vector: await loadControlVector(source), coefficient: 1, enabled: true, layers};
        };
        entries = [await entry("sue"), await entry("tim", {start: 2, end: 3})];
    });
    afterAll(async () => loaded?.dispose());

    it("reads every loaded vector at its layers, as `read` does, and queues reads made at once", async () => {
        const reader = new ReplyReader(loaded);
        const concept = ConceptReader.create(loaded, {maxTokens: 64});
        try {
            const reply = loaded.model.tokenize(", there was a little girl named Sue. Sue ran.");
            // two reads at once: the capture context takes one at a time, so without the queue the second would fail as busy
            const [a, b] = await Promise.all([reader.read(reply, entries), reader.read(reply, entries)]);
            expect(b).toEqual({...a, seconds: b!.seconds});
            expect(a!.vectors.map((v) => v.name)).toEqual(["sue", "tim"]);
            expect(a!.vectors[1]!.layers.map((l) => l.layer)).toEqual([2, 3]);
            expect(a!.tokenTexts.join("")).toBe(", there was a little girl named Sue. Sue ran.");
            const direct = await concept.read([loaded.model.tokens.bos!, ...reply], entries[0]!.vector);
            expect(a!.vectors[0]!.z).toBeCloseTo(direct.readout.z, 10);
            expect(a!.vectors[0]!.tokenZ).toEqual([...direct.readout.tokenZ]);
            expect(await reader.read([], entries)).toBeUndefined();
        } finally {
            concept.free();
            await reader.free();
        }
        expect(await reader.read(loaded.model.tokenize("Sue"), entries)).toBeUndefined(); // freed: nothing more is read
    });

    describe("in the chat", () => {
        let cleanup: (() => void) | undefined;
        afterEach(() => cleanup?.());

        it("the panel shows what sue read on the last reply, the meter moves when the steering does, /readout and /save keep it", async () => {
            const steering = SteeringController.create(loaded.context, loaded.model);
            await steering.addVector(path.join(repoRoot, "vectors", "sue.gguf"), 1);
            const conversation = createConversation(loaded, {mode: "raw", sampling: {temperature: 0.8, seed: 3, maxTokens: 30},
                ...steeringHooks(steering)});
            const reader = new ReplyReader(loaded);
            const app = await mount(<App session={new ChatSession({conversation, modelName: "demo", steering,
                readReply: (tokens, list) => reader.read(tokens, list)})} />);
            cleanup = () => { app.unmount(); conversation.dispose(); void reader.free(); };
            const send = async (text: string) => {
                await typeText(app.stdin, text);
                await press(app.stdin, keys.enter);
            };
            const reads = (f: string) => /sue .* reads ([+-]\d\.\d)/.exec(f)?.[1];

            await send("Once upon a time");
            const first = Number(reads(await waitForFrame(app.lastFrame, (f) => reads(f) != null, 120_000)));
            await send("/vector set sue -1");
            await send("/regen");
            const second = await waitForFrame(app.lastFrame, (f) => f.includes("↻") && reads(f) != null && Number(reads(f)) !== first, 120_000);
            expect(Number(reads(second))).toBeLessThan(first); // the same seed, steered away from Sue, reads lower

            await send("/readout");
            const detail = await waitForFrame(app.lastFrame, (f) => f.includes("Read-out of the last reply"), 30_000);
            expect(detail).toMatch(/sue reads [+-]\d\.\d\d \(z against a neutral text; mean over the reply and layers 1, 2, 3, 4\)/);
            expect(detail).toMatch(/ {2}L4 +[+-]\d\.\d\d/);

            const file = path.join(tempDir(), "chat.json");
            await send(`/save ${file}`);
            await waitForFrame(app.lastFrame, (f) => f.includes("Saved the transcript"), 30_000);
            const saved = JSON.parse(readFileSync(file, "utf8"));
            const replies = saved.turns.filter((m: {role: string}) => m.role === "assistant");
            expect(replies).toHaveLength(2);
            expect(replies[0].readout.sue.toFixed(1)).toBe(first.toFixed(1));
            expect(replies[1].readout.sue).toBeLessThan(replies[0].readout.sue);
        }, 300_000);
    });
});
