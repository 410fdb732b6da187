/**
 * A preset applies exactly the coefficient it stores on the model it was saved on (stories260K, with the shipped
 * `sue`), and its strength in σ on another model (a generated one of the same width but another scale).
 */
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {openSession, type OpenedSession} from "../../src/session/openSession.js";
import {openServer} from "../../src/server/openServer.js";
import {resolveSigma} from "../../src/steering/calibration.js";
import {roundCoefficient} from "../../src/steering/steeringState.js";
import {PresetStore} from "../../src/presets/presetStore.js";
import {repoRoot, storiesModel, tempDir, writeSyntheticModel} from "../helpers/steeringTestKit.js";

const sue = path.join(repoRoot, "vectors", "sue.gguf");

describe("a preset on the model it was saved on, and on another", () => {
    let saved: string | undefined;
    const opened: {session: OpenedSession, loaded: LoadedModel}[] = [];
    beforeAll(() => {
        saved = process.env.STEER_CHAT_CONFIG_DIR;
        process.env.STEER_CHAT_CONFIG_DIR = tempDir("steer-preset-model-");
    });
    const closeAll = async () => {
        for (const {session, loaded} of opened.splice(0)) {
            session.session.conversation.dispose();
            await session.close();
            await loaded.dispose();
        }
    };
    afterAll(async () => {
        await closeAll();
        if (saved == null) delete process.env.STEER_CHAT_CONFIG_DIR;
        else process.env.STEER_CHAT_CONFIG_DIR = saved;
    });
    const open = async (file: string, vectors: string[] = []) => {
        await closeAll();
        const loaded = await loadModel(file, {contextSize: 256});
        const session = await openSession(loaded, {mode: "raw", vectors, temperature: 0, maxTokens: 8});
        opened.push({session, loaded});
        return session.session;
    };

    it("saved at +0.75 and loaded on the same model: 0.75 exactly; on another model: its σ through that model's calibration", async () => {
        const here = await open(storiesModel, [`${sue}:0.75`]);
        await here.savePreset("sue-075");
        const preset = new PresetStore().get("sue-075").preset;
        const calibration = (await here.loadCalibration())!;
        expect(preset.model).toBe(calibration.modelHash);
        const stored = preset.vectors[0]!;
        expect(stored).toMatchObject({vector: "sue", coefficient: 0.75});
        const entry = here.steeringState!.get("sue");
        // what the σ alone gives back on this model: not 0.75 (the σ is rounded to 4 digits when it is stored)
        expect(roundCoefficient(resolveSigma(stored.sigma!, "sue", entry.vector, calibration, entry.layers))).not.toBe(0.75);

        here.stage((s) => s.setCoefficient("sue", 0.2));
        await here.loadPreset("sue-075");
        expect(here.steeringState!.get("sue").coefficient).toBe(0.75);

        // the server takes the preset by name the same way: 0.75 on this model
        await closeAll();
        const served = await loadModel(storiesModel, {contextSize: 256});
        const server = await openServer(served, {vectors: []});
        try {
            const response = await server.app.inject({method: "POST", url: "/v1/completions",
                payload: {model: "stories260K", prompt: "Once", max_tokens: 2, temperature: 0, steering: {preset: "sue-075"}}});
            expect(response.statusCode, response.body).toBe(200);
            expect(JSON.stringify(response.json())).toContain('"coefficient":0.75');
        } finally {
            await server.close();
            await served.dispose();
        }

        // same width as stories260K, so sue fits; another model, so another calibration
        const other = await open(writeSyntheticModel({nEmbd: entry.vector.nEmbd, nLayer: 5, seed: 11}));
        const outcome = await other.loadPreset("sue-075");
        expect(outcome.error ?? false).toBe(false);
        const there = other.steeringState!.get("sue");
        const otherCalibration = (await other.loadCalibration())!;
        expect(otherCalibration.modelHash).not.toBe(calibration.modelHash);
        const viaSigma = roundCoefficient(resolveSigma(stored.sigma!, "sue", there.vector, otherCalibration, there.layers));
        expect(there.coefficient).toBe(viaSigma);
        expect(there.coefficient).not.toBeCloseTo(0.75, 2);
    });
});
