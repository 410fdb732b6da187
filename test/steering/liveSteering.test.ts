/**
 * Steering a live model: a crafted vector on a generated model, exact reversibility, re-evaluation after a change,
 * staging during a reply, bad input and native-helper misuse. Models load on the CPU.
 */
import {copyFileSync, mkdirSync} from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {createConversation, type Conversation, type HistoryPolicy} from "../../src/engine/conversation.js";
import {UserFacingError} from "../../src/errors.js";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {syntheticVocab} from "../../tooling/syntheticLlama.js";
import {scaleAddJs} from "../../src/steering/mixControlVectors.js";
import {loadNativeSteering} from "../../src/native/steeringBridge.js";
import {SteeringController} from "../../src/steering/steeringController.js";
import {findVectorFile} from "../../src/steering/vectorLibrary.js";
import {setupSteering, steeringHooks} from "../../src/session/setupSteering.js";
import {fixtureVectors, readTensor, storiesModel, tempDir, vectorOf, writeSyntheticModel, writeVector} from "../helpers/steeringTestKit.js";

type Rig = {loaded: LoadedModel, controller: SteeringController, conversation: Conversation};

async function rig(modelPath: string, {history = "reeval", mode = "raw"}: {history?: HistoryPolicy, mode?: "raw" | "chat"} = {}): Promise<Rig> {
    const loaded = await loadModel(modelPath, {gpu: false, contextSize: 512});
    const controller = SteeringController.create(loaded.context, loaded.model);
    const conversation = createConversation(loaded,
        {mode, sampling: {temperature: 0, maxTokens: 24}, history, ...steeringHooks(controller)});
    return {loaded, controller, conversation};
}

/** A fresh greedy reply (history cleared) with its exact mean log-probability. */
async function fresh(r: Rig, prompt: string, maxTokens?: number) {
    await r.conversation.clear();
    if (maxTokens) r.conversation.sampling.maxTokens = maxTokens;
    const reply = await r.conversation.send(prompt);
    return {text: reply.text, tokens: reply.tokens, meanLogProb: reply.meanLogProb};
}

describe("crafted steering on a generated model", () => {
    const nLayer = 4;
    const nEmbd = 32;
    let modelPath: string;
    let r: Rig;
    let output: Float32Array;
    const vocab = syntheticVocab();

    beforeAll(async () => {
        modelPath = writeSyntheticModel({nEmbd, nLayer, seed: 7});
        output = (await readTensor(modelPath, "output.weight")).data;
        r = await rig(modelPath);
    });
    afterAll(async () => r?.loaded.dispose());

    /** a unit vector along a token's output embedding, at the last steerable layer */
    const towards = (token: number) => {
        const row = output.subarray(token * nEmbd, (token + 1) * nEmbd);
        const norm = Math.hypot(...row);
        return writeVector(vectorOf(nEmbd, [nLayer - 1], (_, i) => row[i]! / norm), `token-${token}.gguf`);
    };

    it("a vector along a token's output embedding makes greedy decoding say that token; 0 restores; negative suppresses", async () => {
        const baseline = await fresh(r, "the cat sat");
        const baselineTokens = baseline.tokens;
        const target = vocab.tokens.indexOf("\u2581happy");
        expect(baselineTokens).not.toContain(target);

        await r.controller.addVector(towards(target), 40);
        const steered = await fresh(r, "the cat sat");
        expect(steered.tokens.length).toBeGreaterThan(0);
        expect(steered.tokens.every((t) => t === target)).toBe(true);

        r.controller.update((s) => s.setCoefficient(`token-${target}`, 0));
        expect(await fresh(r, "the cat sat")).toEqual(baseline);

        const first = baselineTokens[0]!;
        r.controller.update((s) => s.remove(`token-${target}`));
        await r.controller.addVector(towards(first), -40);
        const suppressed = await fresh(r, "the cat sat");
        expect(baselineTokens).toContain(first);
        expect(suppressed.tokens).not.toContain(first);
        expect(suppressed.text).not.toBe(baseline.text);

        r.controller.update((s) => s.allOff());
        expect(await fresh(r, "the cat sat")).toEqual(baseline);
    });

    it("a vector that does not fit the model is refused with one line naming the file, and steering stays as it was; directions past the model's layers are ignored with a warning", async () => {
        r.controller.update((s) => new (s.constructor as typeof import("../../src/steering/steeringState.js").SteeringState)([]));
        await r.controller.addVector(towards(5), 1);
        const before = r.controller.state;
        const wide = writeVector(vectorOf(nEmbd * 2, [1], () => 1), "wide.gguf");
        await expect(r.controller.addVector(wide, 1)).rejects.toThrow(new RegExp(`${wide}.*n_embd 64, but the model has 32`));
        const deep = writeVector(vectorOf(nEmbd, [1, nLayer], () => 1), "deep.gguf");
        // llama.cpp has control-vector tensors for layers 1..n_layer-1 only and ignores the rest: so does steer-chat, saying so
        const entry = await r.controller.loadEntry(deep, 1);
        expect(entry.warnings).toEqual([`deep: directions ${nLayer} are beyond this model's layers and are ignored`]);
        expect(entry.ignoredLayers).toEqual([nLayer]);
        expect(() => r.controller.setLayers("token-5", {start: 2, end: 9})).toThrow(UserFacingError);
        expect(r.controller.state).toBe(before);
    });

    it("native helper misuse throws JS errors instead of crashing", async () => {
        const status = loadNativeSteering();
        expect(status.available).toBe(true);
        if (!status.available) return;
        const fakeContext = {_ctx: {}, contextSize: 512} as never;
        expect(() => status.native.contextInfo(fakeContext)).toThrow(/AddonContext/);
        const modelObject = {_ctx: (r.loaded.model as unknown as {_model: object})._model, contextSize: 512} as never;
        expect(() => status.native.contextInfo(modelObject)).toThrow(/got AddonModel/);
        const wrongSize = {_ctx: (r.loaded.context as unknown as {_ctx: object})._ctx, contextSize: 9999} as never;
        expect(() => status.native.contextInfo(wrongSize)).toThrow(/n_ctx is 512, expected 9999/);
        // llama.cpp pads small contexts up, so a smaller request than n_ctx is a live context, not a wrong pointer
        const padded = {_ctx: (r.loaded.context as unknown as {_ctx: object})._ctx, contextSize: 100} as never;
        expect(status.native.contextInfo(padded).nCtx).toBe(512);
        expect(() => status.native.apply(r.loaded.context, {data: new Float32Array(nEmbd * 3), nEmbd: 16, layerStart: 1, layerEnd: 3}))
            .toThrow(/n_embd 16 does not match the model's 32/);

        expect(() => status.native.scaleAdd(new Float32Array(4), new Float32Array(5), 1)).toThrow(/same length/);
        expect(() => status.native.scaleAdd(new Float64Array(4) as never, new Float32Array(4), 1)).toThrow(/Float32Array/);

        const other = await loadModel(modelPath, {gpu: false, contextSize: 256});
        const controller = SteeringController.create(other.context, other.model);
        await other.context.dispose();
        await controller.addVector(towards(5), 1);
        expect(() => controller.applyStaged()).toThrow(/disposed/);
        await other.model.dispose();
    });

    it("capture misuse throws JS errors: bad tokens, too many, busy, after free, freed twice", async () => {
        const status = loadNativeSteering();
        if (!status.available) throw new Error(status.reason);
        const capture = status.native.createCapture(r.loaded.context, 16, 1);
        const layers = await capture.capture([1, 300, 301]);
        expect(layers).toHaveLength(nLayer);
        expect(layers[1]).toHaveLength(3 * nEmbd);
        await expect(capture.capture([1, 999_999])).rejects.toThrow();
        await expect(capture.capture([1, -5])).rejects.toThrow();
        expect(() => capture.capture([])).toThrow(/at least one token/);
        expect(() => capture.capture(Array(17).fill(300))).toThrow(/more than the capture context's 16/);
        const first = capture.capture([1, 300]);
        expect(() => capture.capture([1, 301])).toThrow(/busy/);
        expect(() => capture.free()).toThrow(/still evaluating/);
        await first;
        expect((await capture.capture([1, 300, 301]))[2]).toEqual(layers[2]); // still works, and is deterministic
        capture.free();
        expect(() => capture.capture([1, 300])).toThrow(/freed/);
        expect(() => capture.free()).not.toThrow();

        // a capture outliving its model refuses to run instead of reading freed memory
        const other = await loadModel(modelPath, {gpu: false, contextSize: 256});
        const orphan = status.native.createCapture(other.context, 16, 1);
        await orphan.capture([1, 300]);
        await other.dispose();
        expect(() => orphan.capture([1, 300])).toThrow(/disposed/);
        orphan.free();
    });

    it("a context the helper refuses is one clear line; chat with no vector asked for still starts, with a note", async () => {
        const refused = {...r.loaded, context: {_ctx: {}, contextSize: 512} as never};
        expect(() => SteeringController.create(refused.context, refused.model))
            .toThrow(/^Steering is unavailable: expected a node-llama-cpp AddonContext object, got Object$/);
        expect(() => SteeringController.create(refused.context, refused.model)).toThrow(UserFacingError);
        const quiet = await setupSteering(refused, {vectors: []});
        expect(quiet.controller).toBeUndefined();
        expect(quiet.notes).toEqual([expect.stringMatching(/^Steering is unavailable: expected a node-llama-cpp AddonContext .* — the native helper does not match this node-llama-cpp build: reinstall steer-chat/)]);
        await expect(setupSteering(refused, {vectors: [towards(5)]})).rejects.toThrow(UserFacingError);
    });

    it("the native view of the context must match the model file's n_embd and n_layer", () => {
        const lying = (embedding_length: number, block_count: number) => ({
            fileInfo: {architectureMetadata: {embedding_length, block_count}, metadata: {general: {architecture: "llama"}}}
        }) as never;
        expect(SteeringController.create(r.loaded.context, lying(nEmbd, nLayer)).shape).toEqual({nEmbd, nLayer});
        expect(() => SteeringController.create(r.loaded.context, lying(48, nLayer)))
            .toThrow(/Steering is unavailable: llama_context check failed: nEmbd is 32 in llama.cpp but 48 in the model file/);
        expect(() => SteeringController.create(r.loaded.context, lying(nEmbd, 3)))
            .toThrow(/nLayer is 4 in llama.cpp but the model file has 3 blocks/);
        // more blocks in the file than llama.cpp counts is a model with multi-token-prediction layers, not a bad pointer
        expect(SteeringController.create(r.loaded.context, lying(nEmbd, 5)).shape).toEqual({nEmbd, nLayer});
    });
});

describe("the native mixing kernel", () => {
    it("gives bit-for-bit the JS kernel's float32 sums (no FMA), so steering stays exactly llama.cpp's", () => {
        const status = loadNativeSteering();
        expect(status.available).toBe(true);
        if (!status.available) return;
        // awkward values: tiny, huge, subnormal, negative zero, values whose products round differently with FMA
        let seed = 7;
        const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
        const specials = [1e-42, -1e-42, 3.4e38, -0, 1 + 2 ** -23, 1 / 3, 0.1, -7.25e-20];
        const values = (n: number) => Float32Array.from({length: n}, (_, i) =>
            i < specials.length ? specials[i]! : (random() - 0.5) * 10 ** Math.floor(random() * 12 - 6));
        for (const coefficient of [0.37, -1.1, 1 + 2 ** -20, 1e-30, 250]) {
            const direction = values(4099);
            const js = values(4099);
            const native = js.slice();
            scaleAddJs(js, direction, Math.fround(coefficient));
            status.native.scaleAdd(native, direction, Math.fround(coefficient));
            expect(Buffer.from(native.buffer).equals(Buffer.from(js.buffer)), `coefficient ${coefficient}`).toBe(true);
        }
    });
});

describe("steering stories260K", () => {
    let r: Rig;
    const happy = path.join(fixtureVectors, "happy.gguf");
    const dog = path.join(fixtureVectors, "dog.gguf");
    beforeAll(async () => { r = await rig(storiesModel); });
    afterAll(async () => r?.loaded.dispose());

    it("coefficient 0, off, removed or all-off give bit-for-bit the unsteered output", async () => {
        const baseline = await fresh(r, "Once upon a time", 32);
        await r.controller.addVector(happy, 1.5);
        const steered = await fresh(r, "Once upon a time");
        expect(steered.text).not.toBe(baseline.text);

        r.controller.update((s) => s.setCoefficient("happy", 0));
        expect(await fresh(r, "Once upon a time")).toEqual(baseline);
        r.controller.update((s) => s.setCoefficient("happy", 1.5));
        expect(await fresh(r, "Once upon a time")).toEqual(steered);
        r.controller.update((s) => s.setEnabled("happy", false));
        expect(await fresh(r, "Once upon a time")).toEqual(baseline);
        r.controller.update((s) => s.setEnabled("happy", true));
        expect(await fresh(r, "Once upon a time")).toEqual(steered);
        r.controller.update((s) => s.allOff());
        expect(await fresh(r, "Once upon a time")).toEqual(baseline);
        r.controller.update((s) => s.remove("happy"));
        expect(await fresh(r, "Once upon a time")).toEqual(baseline);
    });

    it("after a change the next turn re-evaluates the history: output depends only on history + current steering", async () => {
        await r.controller.addVector(happy, 1.5);
        await r.conversation.clear();
        const first = await r.conversation.send("Once upon a time");
        r.controller.update((s) => s.remove("happy"));
        await r.controller.addVector(dog, 2);
        const second = await r.conversation.send("The dog");

        // the same history, evaluated from scratch under the new steering, gives the same reply
        const replay = await fresh(r, `Once upon a time${first.text}\nThe dog`);
        expect(second.text).toBe(replay.text);
        expect(second.meanLogProb).toBe(replay.meanLogProb);
        r.controller.update((s) => s.remove("dog"));
    });

    it("in chat mode too, a change re-evaluates the templated history before the next turn", async () => {
        const chat = await rig(storiesModel, {mode: "chat"});
        try {
            await chat.controller.addVector(happy, 1.5);
            await chat.conversation.send("Once upon a time");
            const afterFirst = chat.conversation.snapshot();
            chat.controller.update((s) => s.remove("happy"));
            await chat.controller.addVector(dog, 2);
            const second = await chat.conversation.send("The dog");

            // the same chat history evaluated from an empty cache under the new steering gives the same reply
            await chat.conversation.clear();
            chat.conversation.restore(afterFirst);
            const replay = await chat.conversation.send("The dog");
            expect(chat.controller.hasPendingChanges).toBe(false);
            expect(second.text).toBe(replay.text);
            expect(second.meanLogProb).toBe(replay.meanLogProb);
        } finally {
            await chat.loaded.dispose();
        }
    });

    it("--history keep keeps the history evaluated under the old steering instead of re-evaluating it", async () => {
        const kept = await rig(storiesModel, {history: "keep"});
        try {
            await kept.controller.addVector(happy, 1.5);
            const first = await kept.conversation.send("Once upon a time");
            kept.controller.update((s) => s.remove("happy"));
            await kept.controller.addVector(dog, 2);
            const second = await kept.conversation.send("The dog");
            expect(kept.controller.hasPendingChanges).toBe(false);
            expect(kept.controller.appliedState.get("dog").coefficient).toBe(2);

            // under reeval the reply equals this from-scratch replay under the new steering (see above);
            // with it, the history's keys and values still carry the old steering, so the reply reads it differently
            await r.controller.addVector(dog, 2);
            const replay = await fresh(r, `Once upon a time${first.text}\nThe dog`);
            r.controller.update((s) => s.remove("dog"));
            expect(second.meanLogProb).not.toBe(replay.meanLogProb);
        } finally {
            await kept.loaded.dispose();
        }
    });

    it("changes made while a reply streams are staged and apply only from the next turn", async () => {
        await r.controller.addVector(happy, 1);
        const withOne = await fresh(r, "Lily wanted to");
        await r.conversation.clear();
        let changed = false;
        const reply = await r.conversation.send("Lily wanted to", {
            onText: () => {
                if (!changed) r.controller.update((s) => s.setCoefficient("happy", -2));
                changed = true;
            }
        });
        expect(reply.text).toBe(withOne.text);
        expect(r.controller.hasPendingChanges).toBe(true);
        expect(r.controller.appliedState.get("happy").coefficient).toBe(1);
        const next = await fresh(r, "Lily wanted to");
        expect(r.controller.hasPendingChanges).toBe(false);
        expect(next.text).not.toBe(withOne.text);
        r.controller.update((s) => s.remove("happy"));
    });
});

describe("vector names", () => {
    it("finds names in the user's vectors folder and never escapes the folders", () => {
        const config = tempDir();
        const previous = process.env.STEER_CHAT_CONFIG_DIR;
        process.env.STEER_CHAT_CONFIG_DIR = config;
        try {
            mkdirSync(path.join(config, "vectors"));
            copyFileSync(path.join(fixtureVectors, "happy.gguf"), path.join(config, "vectors", "cheerful.gguf"));
            expect(findVectorFile("cheerful")).toBe(path.join(config, "vectors", "cheerful.gguf"));
            expect(findVectorFile("cheerful.gguf")).toBe(path.join(config, "vectors", "cheerful.gguf"));
            expect(() => findVectorFile("..")).toThrow(/Invalid vector name/);
            expect(() => findVectorFile(".hidden")).toThrow(/Invalid vector name/);
            expect(() => findVectorFile("../no-such-folder/x.gguf")).toThrow(/Control vector not found/);
            expect(() => findVectorFile("nosuch")).toThrow(/No vector named "nosuch"/);
        } finally {
            if (previous == null) delete process.env.STEER_CHAT_CONFIG_DIR;
            else process.env.STEER_CHAT_CONFIG_DIR = previous;
        }
    });
});
