/**
 * `/vector new NAME "DESCRIPTION"` in the chat, on a generated model with the real steering controller and the real
 * trainer: progress while it trains, the vector staged under NAME at +0.1σ with its held-out score, the same
 * description again from the cache (counted), a new one replacing the row; Esc stops a training; bad input is one line.
 */
import React from "react";
import {afterAll, afterEach, beforeAll, describe, expect, it} from "vitest";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {ChatSession} from "../../src/session/chatSession.js";
import {NEW_VECTOR_SIGMA} from "../../src/session/describedVector.js";
import {modelCalibration, sigmaOf} from "../../src/steering/calibration.js";
import {SteeringController} from "../../src/steering/steeringController.js";
import {describedTrainerFor, type DescribedTrainer} from "../../src/training/describedVectors.js";
import {App} from "../../src/ui/App.js";
import {parseSlashCommand} from "../../src/ui/slashCommands.js";
import {FakeConversation} from "../helpers/fakeConversation.js";
import {keys, mount, press, typeText, waitForFrame} from "../helpers/ink.js";
import {tempDir, writeSyntheticModel} from "../helpers/steeringTestKit.js";

describe("/vector new", () => {
    const previous = process.env.STEER_CHAT_DATA_DIR;
    let loaded: LoadedModel;
    beforeAll(async () => {
        process.env.STEER_CHAT_DATA_DIR = tempDir("steer-vector-new-");
        loaded = await loadModel(writeSyntheticModel({nEmbd: 32, nLayer: 4, seed: 5}), {gpu: false, contextSize: 512, threads: 1});
    });
    afterAll(async () => {
        await loaded?.dispose();
        if (previous == null) delete process.env.STEER_CHAT_DATA_DIR;
        else process.env.STEER_CHAT_DATA_DIR = previous;
    });

    let cleanup: (() => void) | undefined;
    afterEach(() => cleanup?.());

    async function start(trainDescribed: DescribedTrainer) {
        const steering = SteeringController.create(loaded.context, loaded.model);
        const conversation = new FakeConversation();
        const session = new ChatSession({conversation, modelName: "tiny", steering, trainDescribed, calibration: () => modelCalibration(loaded)});
        const app = await mount(<App session={session} />);
        cleanup = () => app.unmount();
        return {...app, steering, conversation};
    }
    const send = async (stdin: {write: (data: string) => void}, text: string) => {
        await typeText(stdin, text);
        await press(stdin, keys.enter);
    };
    const idle = (f: string) => !f.includes("(Esc to stop)");

    it("parses a name and a description, quoted or not, and refuses bad ones in one line", () => {
        expect(parseSlashCommand('/vector new pirate "speaks like a pirate"')).toEqual({kind: "vectorNew", name: "pirate", description: "speaks like a pirate"});
        expect(parseSlashCommand("/vector new pirate speaks like a pirate")).toEqual({kind: "vectorNew", name: "pirate", description: "speaks like a pirate"});
        expect(parseSlashCommand("/vector new calm 'is \"very\" calm'")).toEqual({kind: "vectorNew", name: "calm", description: 'is "very" calm'});
        for (const bad of ["/vector new", "/vector new pirate", '/vector new pirate ""', "/vector new ../x is kind",
            `/vector new long ${"x".repeat(201)}`]) {
            const parsed = parseSlashCommand(bad);
            expect(parsed.kind, bad).toBe("invalid");
            expect((parsed as {message: string}).message, bad).not.toContain("\n");
            expect((parsed as {message: string}).message, bad).toContain('/vector new NAME "DESCRIPTION"');
        }
    });

    it("trains, stages the vector at +0.1σ with its score; again from the cache; a new description replaces it", async () => {
        let trainings = 0;
        const real = describedTrainerFor(loaded);
        const counting: DescribedTrainer = async (description, options) => {
            const result = await real(description, options);
            if (result.trained) trainings++;
            return result;
        };
        const {stdin, lastFrame, steering, conversation} = await start(counting);
        await send(stdin, '/vector new pirate "speaks like a pirate"');
        const done = await waitForFrame(lastFrame, (f) => f.includes("Trained pirate") && idle(f), 60_000);
        expect(trainings).toBe(1);
        expect(done).toMatch(/Trained pirate for "speaks like a pirate" in [\d.]+ s; added at \+0\.10σ — from the next turn:\s+pirate\s+\+/);
        expect(done).toMatch(/held-out AUROC [\d.]+ at layer \d/);
        expect(done).toMatch(/pirate\s+\[.*\]\s+\+[\d.]+ \+0\.10σ\s+on/); // its row in the panel, at 0.1σ
        expect(done).toContain("staged for the next turn");
        const entry = steering.state.get("pirate");
        expect(entry.source).toMatch(/described/);
        expect(steering.appliedState.has("pirate")).toBe(false); // staged, not applied
        expect(sigmaOf(entry.coefficient, entry.vector, await modelCalibration(loaded))).toBeCloseTo(NEW_VECTOR_SIGMA, 4);

        await send(stdin, '/vector new pirate "speaks like a pirate"');
        await waitForFrame(lastFrame, (f) => f.includes("from the cache") && idle(f));
        expect(trainings).toBe(1); // the cache: no second training
        expect(steering.state.entries.map((e) => e.name)).toEqual(["pirate"]);

        await send(stdin, "/vector new pirate speaks like an old sailor");
        await waitForFrame(lastFrame, (f) => f.includes("replaced its vector") && idle(f), 60_000);
        expect(trainings).toBe(2);
        expect(steering.state.entries.map((e) => e.name)).toEqual(["pirate"]);
        expect(steering.state.get("pirate").source).not.toBe(entry.source);
        expect(conversation.sent).toEqual([]);
    });

    it("Esc stops a training, with its progress shown; nothing is staged and the chat stays usable", async () => {
        let seen: AbortSignal | undefined;
        const stuck: DescribedTrainer = (_description, {onProgress, signal} = {}) => new Promise((_resolve, reject) => {
            seen = signal;
            onProgress?.(5, 36);
            signal?.addEventListener("abort", () => reject(new Error("Training was cancelled")));
        });
        const {stdin, lastFrame, steering, conversation} = await start(stuck);
        await send(stdin, "/vector new pirate speaks like a pirate");
        const training = await waitForFrame(lastFrame, (f) => /training \[█+░+\] 5\/36 prompts/.test(f));
        expect(training).toContain("… training pirate (Esc to stop)");
        await press(stdin, keys.escape);
        await waitForFrame(lastFrame, (f) => f.includes("Training was cancelled") && idle(f));
        expect(seen?.aborted).toBe(true);
        expect(steering.state.entries).toEqual([]);
        await send(stdin, "hello");
        await waitForFrame(lastFrame, (f) => f.includes("Hello there!") && idle(f));
        expect(conversation.sent).toEqual(["hello"]);
    });

    it("a description's control characters are escaped where it is shown", async () => {
        // a terminal's key decoder takes ESC as a key, so the text comes as a script or a paste could send it
        const session = new ChatSession({conversation: new FakeConversation(), modelName: "tiny",
            steering: SteeringController.create(loaded.context, loaded.model), trainDescribed: describedTrainerFor(loaded)});
        const outcomes = await session.newVector("odd", "is \u001b[31mred\u001b[0m and \u202eloud");
        const text = outcomes.flatMap((o) => o.lines).join("\n");
        expect(text).toContain('"is \\e[31mred\\e[0m and \\u202eloud"');
        expect(text).not.toMatch(/[\u001b\u202e]/);
        expect(text).toContain("coefficient +1.00 (no calibration for a strength in σ)");
    });
});
