/**
 * The chat's steering on a real (tiny, generated) model with the real steering controller: replies made under the
 * staged steering, /compare and /sweep trials, /regen and presets with the sampling a real conversation has. The
 * panel's keys, the commands and the pickers without replies are in steeringControls.test.tsx (no model).
 */
import React from "react";
import {afterAll, afterEach, beforeAll, describe, expect, it} from "vitest";
import {createConversation} from "../../src/engine/conversation.js";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {PresetStore} from "../../src/presets/presetStore.js";
import {SteeringController} from "../../src/steering/steeringController.js";
import {steeringHooks} from "../../src/session/setupSteering.js";
import {App} from "../../src/ui/App.js";
import {ChatSession} from "../../src/session/chatSession.js";
import {readFileSync} from "node:fs";
import path from "node:path";
import type {Conversation} from "../../src/engine/conversation.js";
import type {RecipeTrainer} from "../../src/training/recipeVectors.js";
import {keys, mount, press, typeText, waitForFrame} from "../helpers/ink.js";
import {tempDir, vectorOf, writeSyntheticModel, writeVector} from "../helpers/steeringTestKit.js";

describe("the chat's steering controls", () => {
    let loaded: LoadedModel;
    let vectorFile: string;
    const configDir = tempDir();
    const previousConfig = process.env.STEER_CHAT_CONFIG_DIR;

    beforeAll(async () => {
        process.env.STEER_CHAT_CONFIG_DIR = configDir;
        loaded = await loadModel(writeSyntheticModel({nEmbd: 32, nLayer: 4, seed: 3}), {gpu: false, contextSize: 256});
        vectorFile = writeVector(vectorOf(32, [1, 2, 3], (l, i) => Math.sin(l + i)), "mood.gguf");
    });
    afterAll(async () => {
        await loaded?.dispose();
        if (previousConfig == null) delete process.env.STEER_CHAT_CONFIG_DIR;
        else process.env.STEER_CHAT_CONFIG_DIR = previousConfig;
    });

    let cleanup: (() => void) | undefined;
    afterEach(() => cleanup?.());

    async function start<C extends Conversation>(makeConversation?: (steering: SteeringController) => C, trainRecipe?: RecipeTrainer) {
        const steering = SteeringController.create(loaded.context, loaded.model);
        await steering.addVector(vectorFile, 0.5);
        const conversation = makeConversation?.(steering) ?? createConversation(loaded, {mode: "raw", sampling: {temperature: 0, maxTokens: 8},
            ...steeringHooks(steering)});
        const presets = new PresetStore({dir: configDir});
        const app = await mount(<App session={new ChatSession({conversation, modelName: "tiny", steering, presets, trainRecipe})} />);
        cleanup = () => { app.unmount(); conversation.dispose(); };
        return {...app, steering, conversation: conversation as C, presets};
    }

    const send = async (stdin: {write: (data: string) => void}, text: string) => {
        await typeText(stdin, text);
        await press(stdin, keys.enter);
    };
    /** finished replies on screen: each ends with its details line, "[ppl 2.72]" or "[hit --max-tokens · ppl 3.10]" */
    const replies = (frame: string) => frame.match(/\[[^\]\n]*ppl \d/g)?.length ?? 0;

    it("the next reply is made with the staged coefficient and records it", async () => {
        const {stdin, lastFrame, steering} = await start();
        await press(stdin, keys.tab, keys.right, keys.tab);
        await typeText(stdin, "the cat");
        await press(stdin, keys.enter);
        await waitForFrame(lastFrame, (f) => !f.includes("writing") && f.includes("ppl"));
        expect(steering.appliedState.get("mood").coefficient).toBe(0.6);
        expect(lastFrame()).not.toContain("staged for the next turn");
        await typeText(stdin, "/steering");
        await press(stdin, keys.enter);
        const frame = await waitForFrame(lastFrame, (f) => f.includes("reply 1:"));
        expect(frame).toContain("reply 1: mood +0.60");
    });

    it("/compare and /sweep are trials: the history, the steering and the panel are as they were", async () => {
        const {stdin, lastFrame, steering, conversation} = await start();
        await send(stdin, "the cat");
        await waitForFrame(lastFrame, (f) => replies(f) === 1 && !f.includes("writing"));
        const history = conversation.snapshot();

        await send(stdin, "/compare");
        let frame = await waitForFrame(lastFrame, (f) => /steering off\s+│/.test(f));
        expect(frame).toMatch(/steering off\s+│ mood \+0\.50/);
        await waitForFrame(lastFrame, (f) => f.replace(/\s+/g, " ").includes("/compare: the steered reply replaces the last reply in the conversation"));
        expect(conversation.snapshot()).toEqual(history); // the same greedy reply under the same steering
        expect(steering.state.get("mood").coefficient).toBe(0.5);

        await send(stdin, "/sweep mood -1..1 1");
        frame = await waitForFrame(lastFrame, (f) => /\+1\.00\s+│/.test(f) && !f.includes("writing"));
        expect(frame).toMatch(/-1\.00\s+│[\s\S]*\+0\.00\s+│[\s\S]*\+1\.00\s+│/);
        expect(conversation.snapshot()).toEqual(history);
        expect(steering.appliedState.get("mood").coefficient).toBe(0.5); // not the last trial value
        expect(steering.hasPendingChanges).toBe(false);
        expect(lastFrame()).not.toContain("staged for the next turn");

        // and the next reply is made from that history with the user's steering: the first reply again
        await send(stdin, "/regen");
        await waitForFrame(lastFrame, (f) => !f.includes("writing") && replies(f) >= 3);
        expect(conversation.snapshot()).toEqual(history);
    });

    it("/regen's replaced reply stays in /save, marked, so the transcript never shows two answers as one exchange", async () => {
        const {stdin, lastFrame} = await start();
        await send(stdin, "the cat");
        await waitForFrame(lastFrame, (f) => replies(f) === 1 && !f.includes("writing"));
        await press(stdin, keys.tab, keys.right, keys.tab);
        await send(stdin, "/regen");
        await waitForFrame(lastFrame, (f) => replies(f) === 2 && !f.includes("writing"));
        const file = path.join(tempDir(), "t.json");
        await send(stdin, `/save ${file}`);
        await waitForFrame(lastFrame, (f) => f.includes("Saved the transcript"));
        const turns = JSON.parse(readFileSync(file, "utf8")).turns;
        expect(turns.map((t: {role: string, replaced?: boolean}) => [t.role, t.replaced ?? false]))
            .toEqual([["user", false], ["assistant", true], ["assistant", false]]);
        expect(turns[1].steering[0].coefficient).toBe(0.5);
        expect(turns[2].steering[0].coefficient).toBe(0.6);
        const md = path.join(tempDir(), "t.md");
        await send(stdin, `/save ${md}`);
        await waitForFrame(lastFrame, (f) => f.includes(md));
        expect(readFileSync(md, "utf8")).toMatch(/## Model \(replaced by the next reply\) — mood \+0\.50[\s\S]*## Model — mood \+0\.60/);
    });

    it("/preset save keeps the system prompt, sampling and a description; loading another preset drops the last one's", async () => {
        const {stdin, lastFrame, conversation, presets} = await start();
        await send(stdin, "/system Talk like a pirate.");
        conversation.sampling.temperature = 1.3; // as --temperature 1.3 would
        conversation.sampling.seed = 5;
        await send(stdin, "/preset save pirate arr, matey");
        await waitForFrame(lastFrame, (f) => f.includes("Saved preset pirate"));
        // max-tokens and the seed are sampling as /settings lists it: stored too
        expect(presets.get("pirate").preset).toMatchObject({description: "arr, matey", systemPrompt: "Talk like a pirate.",
            sampling: {temperature: 1.3, maxTokens: 8, seed: 5}});
        await send(stdin, "/preset save pirate"); // re-saving keeps the description
        await waitForFrame(lastFrame, (f) => f.split("Saved preset pirate").length === 3);
        expect(presets.get("pirate").preset.description).toBe("arr, matey");

        await send(stdin, "/system You are terse.");
        conversation.sampling.temperature = 0;
        conversation.sampling.maxTokens = 100;
        conversation.sampling.seed = undefined;
        await presets.save({name: "plain", vectors: []});
        await send(stdin, "/preset load pirate");
        await waitForFrame(lastFrame, (f) => f.includes("Loaded preset pirate"));
        expect(conversation.systemPrompt).toBe("Talk like a pirate.");
        expect(conversation.sampling).toMatchObject({temperature: 1.3, maxTokens: 8, seed: 5});
        await send(stdin, "/preset load plain");
        await waitForFrame(lastFrame, (f) => f.includes("Loaded preset plain"));
        expect(conversation.systemPrompt).toBe("You are terse.");
        expect(conversation.sampling.temperature).toBe(0);
    });


});
