/**
 * Recipes on generated models: rendering through a chat template (special tokens stay tokens), training on first
 * use with a per-model cache, /vector-style fallback from a name to its recipe, and cancelling.
 */
import {copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {SteeringController} from "../../src/steering/steeringController.js";
import {presetSteering, presetVectorRef} from "../../src/presets/applyPreset.js";
import {PresetStore} from "../../src/presets/presetStore.js";
import {FileWriteError} from "../../src/engine/atomicWrite.js";
import {ensureRecipeVector, loadEntryOrRecipe, recipeTrainerFor, recipeVectorPath} from "../../src/training/recipeVectors.js";
import {listRecipes, loadRecipe, renderRecipe} from "../../src/training/recipes.js";
import {loadControlVector} from "../../src/steering/loadControlVector.js";
import {fixtureVectors, repoRoot, tempDir, writeSyntheticModel} from "../helpers/steeringTestKit.js";
import {runLimitedScript} from "../helpers/limitedScript.js";

const CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}" +
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

describe("recipes", () => {
    const previous = process.env.STEER_CHAT_CONFIG_DIR;
    let templated: LoadedModel;
    let plain: LoadedModel;
    beforeAll(async () => {
        process.env.STEER_CHAT_CONFIG_DIR = tempDir(); // the trained-vector cache lives under it
        templated = await loadModel(writeSyntheticModel({nEmbd: 32, nLayer: 4, seed: 21, chatTemplate: CHATML}),
            {gpu: false, contextSize: 512});
        plain = await loadModel(writeSyntheticModel({nEmbd: 32, nLayer: 4, seed: 22}), {gpu: false, contextSize: 512});
    });
    afterAll(async () => {
        await templated?.dispose();
        await plain?.dispose();
        if (previous == null) delete process.env.STEER_CHAT_CONFIG_DIR;
        else process.env.STEER_CHAT_CONFIG_DIR = previous;
    });

    it("every shipped recipe parses and has both sides and questions", () => {
        const recipes = listRecipes();
        expect(recipes.map((r) => r.name)).toEqual(expect.arrayContaining(["happy", "formal", "concise", "confident", "eiffel"]));
        for (const r of recipes) {
            expect(r.positive.length, r.name).toBeGreaterThan(0);
            expect(r.negative, r.name).not.toBe(r.positive);
            expect(r.questions.length * r.answerStarts.length, r.name).toBeGreaterThan(0);
        }
    });

    it("a templated model gets token prompts: one BOS token, never the word \"BOS\"; a plain one gets text", () => {
        const recipe = loadRecipe("happy");
        const {positives, negatives} = renderRecipe(recipe, templated.model);
        expect(positives).toHaveLength(recipe.questions.length * recipe.answerStarts.length);
        const bos = templated.model.tokens.bos!;
        for (const prompt of [...positives, ...negatives]) {
            expect(Array.isArray(prompt)).toBe(true);
            const tokens = prompt as number[];
            expect(tokens[0]).toBe(bos);
            expect(tokens.filter((t) => t === bos)).toHaveLength(1);
            const text = templated.model.detokenize(tokens as never, true);
            expect(text).not.toContain("BOS");
            expect(text).toContain("<|im_start|>system");
            expect(text).toContain(recipe.questions[0]!.slice(0, 10) === text ? "" : "<|im_start|>assistant");
        }
        expect(templated.model.detokenize(positives[0] as never, true)).toContain(recipe.positive);
        expect(templated.model.detokenize(negatives[0] as never, true)).toContain(recipe.negative);

        const asText = renderRecipe(recipe, plain.model);
        expect(asText.positives[0]).toBe(`${recipe.positive}\n${recipe.questions[0]}\n${recipe.answerStarts[0]}`);
    });

    it("trains on first use, then comes from the per-model cache; force retrains; the names fall back to recipes", async () => {
        const file = await recipeVectorPath(plain, "happy");
        expect(existsSync(file)).toBe(false);
        let progressCalls = 0;
        const trained = await ensureRecipeVector(plain, "happy", {onProgress: () => { progressCalls++; }});
        expect(trained.file).toBe(file);
        expect(trained.unsaved).toBeUndefined();
        expect(progressCalls).toBeGreaterThan(0);
        const written = statSync(file).mtimeMs;

        progressCalls = 0;
        expect((await ensureRecipeVector(plain, "happy", {onProgress: () => { progressCalls++; }})).file).toBe(file);
        expect(progressCalls).toBe(0); // the cache, not a second training
        await ensureRecipeVector(plain, "happy", {force: true, onProgress: () => { progressCalls++; }});
        expect(progressCalls).toBeGreaterThan(0);
        expect(statSync(file).mtimeMs).toBeGreaterThanOrEqual(written);

        // a preset saved with it names the recipe, so on another model it is retrained rather than skipped
        expect(presetVectorRef(file)).toBe("happy");
        // another model has its own cache entry
        expect(await recipeVectorPath(templated, "happy")).not.toBe(file);

        // the shipped happy.gguf is 64 wide and does not fit this 32-wide model: the name falls back to the recipe
        const controller = SteeringController.create(plain.context, plain.model);
        const entry = await loadEntryOrRecipe(controller, "happy", 0.8, {train: recipeTrainerFor(plain)});
        const state = controller.update((s) => s.add(entry));
        expect(state.get("happy")).toMatchObject({source: file, coefficient: 0.8});
        await expect(loadEntryOrRecipe(controller, "happy", 1)).rejects.toThrow(/n_embd 64, but the model has 32/); // no trainer, no fallback
    });

    it("a recipe vector whose cache could not be written is loaded from memory, with a note naming the file", async () => {
        const controller = SteeringController.create(plain.context, plain.model);
        const real = recipeTrainerFor(plain);
        const file = path.join(tempDir(), "never-written", "calm.gguf");
        const full = new FileWriteError(file, "ENOSPC", "no space");
        const entry = await loadEntryOrRecipe(controller, "happy", 0.4, {train: async (name, options) =>
            ({...await real(name, options), file, unsaved: full})});
        expect(entry).toMatchObject({name: "calm", source: file, coefficient: 0.4});
        expect(entry.vector.nEmbd).toBe(32);
        expect(existsSync(file)).toBe(false);
        expect(entry.warnings).toContain(`happy: trained for this model but not cached (Could not write ${file}: no space left on the device (ENOSPC)); it is trained again next time`);
        expect(() => controller.update((s) => s.add(entry))).not.toThrow();
    });

    it("a shipped preset on a model its files do not fit trains what has a recipe and skips the rest, saying why", async () => {
        const controller = SteeringController.create(plain.context, plain.model);
        const dogPerson = new PresetStore().get("dog-person").preset; // dog (no recipe) at L3-4, happy 0.5
        const without = await presetSteering(dogPerson, controller);
        expect(without.loaded).toEqual([]);
        expect(without.skipped).toEqual([expect.stringMatching(/^dog: .*n_embd 64, but the model has 32/), expect.stringMatching(/^happy: .*n_embd 64/)]);
        const withTraining = await presetSteering(dogPerson, controller, {train: recipeTrainerFor(plain)});
        expect(withTraining.loaded).toEqual(["happy"]);
        expect(withTraining.skipped).toEqual([expect.stringMatching(/^dog: .*n_embd 64, but the model has 32/)]);
        expect(withTraining.state.get("happy")).toMatchObject({coefficient: 0.5, source: await recipeVectorPath(plain, "happy")});
        expect(controller.state.entries).toEqual([]); // nothing staged: that is the session's (ChatSession.stage)
    });

    it("training a recipe stops when its signal aborts, and caches nothing", async () => {
        const abort = new AbortController();
        const file = await recipeVectorPath(templated, "formal");
        await expect(ensureRecipeVector(templated, "formal", {signal: abort.signal, onProgress: (done) => { if (done === 1) abort.abort(); }}))
            .rejects.toThrow("Training was cancelled");
        expect(existsSync(file)).toBe(false);
    });

    it("a cached file that does not parse (a failed write of an older version left 0 bytes) is trained again", async () => {
        const file = await recipeVectorPath(plain, "concise");
        mkdirSync(path.dirname(file), {recursive: true});
        writeFileSync(file, "");
        let progressCalls = 0;
        expect((await ensureRecipeVector(plain, "concise", {onProgress: () => { progressCalls++; }})).file).toBe(file);
        expect(progressCalls).toBeGreaterThan(0);
        expect((await loadControlVector(file)).nEmbd).toBe(32);
    });

    it("a cached vector that is empty, cut short, garbage or a link to /dev/zero is trained again when its name is asked for", async () => {
        const {file} = await ensureRecipeVector(plain, "eiffel");
        const good = readFileSync(file);
        const controller = SteeringController.create(plain.context, plain.model);
        controller.trainedDir = path.dirname(file); // as at start-up: names look in this model's cache, where the file is found first
        const damages: [string, () => void][] = [
            ["empty", () => writeFileSync(file, "")],
            ["cut short", () => writeFileSync(file, good.subarray(0, Math.floor(good.length / 2)))],
            ["garbage", () => writeFileSync(file, "not a GGUF file at all\n")],
            ["a link to /dev/zero", () => symlinkSync("/dev/zero", file)]
        ];
        for (const [label, damage] of damages) {
            rmSync(file);
            damage();
            let progressCalls = 0;
            const entry = await loadEntryOrRecipe(controller, "eiffel", 0.5,
                {train: recipeTrainerFor(plain), onProgress: () => { progressCalls++; }});
            expect(entry.source, label).toBe(file);
            expect(progressCalls, label).toBeGreaterThan(0);
            expect(lstatSync(file).isFile(), label).toBe(true);
            expect((await loadControlVector(file)).nEmbd, label).toBe(32);
        }
        // a damaged file of the user's own is theirs: refused, never trained over
        const userVectors = path.join(process.env.STEER_CHAT_CONFIG_DIR!, "vectors");
        mkdirSync(userVectors, {recursive: true});
        writeFileSync(path.join(userVectors, "eiffel.gguf"), "");
        try {
            await expect(loadEntryOrRecipe(controller, "eiffel", 0.5, {train: recipeTrainerFor(plain)})).rejects.toThrow(/Bad control vector/);
        } finally {
            rmSync(path.join(userVectors, "eiffel.gguf"));
        }
    });

    it("a symlinked cache file is replaced by the trained vector, never written through", async () => {
        const file = await recipeVectorPath(plain, "confident");
        mkdirSync(path.dirname(file), {recursive: true});
        const victim = path.join(tempDir(), "elsewhere.gguf");
        copyFileSync(path.join(fixtureVectors, "happy.gguf"), victim);
        const before = readFileSync(victim);
        symlinkSync(victim, file);
        await ensureRecipeVector(plain, "confident", {force: true});
        expect(readFileSync(victim).equals(before)).toBe(true);
        expect(lstatSync(file).isSymbolicLink()).toBe(false);
        expect((await loadControlVector(file)).nEmbd).toBe(32);
    });

    it("a cache write that fails is skipped: the vector is used from memory, with a note, no file is left, and the next run trains", async () => {
        // 128 wide: the vector is larger than the 1 KiB the child process may write once it is limited
        const modelFile = writeSyntheticModel({nEmbd: 128, nLayer: 3, seed: 23});
        const dist = (file: string) => JSON.stringify(path.join(repoRoot, "dist", file));
        const script = `
            const {loadModel} = await import(${dist("engine/runtime.js")});
            const {ensureRecipeVector, modelFileHash} = await import(${dist("training/recipeVectors.js")});
            const loaded = await loadModel(${JSON.stringify(modelFile)}, {gpu: false, contextSize: 512});
            await modelFileHash(${JSON.stringify(modelFile)}); // the model-hash cache is written before the limit
            limitFileSize(1024);
            try {
                const trained = await ensureRecipeVector(loaded, "formal");
                console.log(JSON.stringify({nEmbd: trained.vector.nEmbd, unsaved: trained.unsaved?.toLine()}));
            } catch (err) { console.log(err.toLine?.() ?? err.message); }
            await loaded.dispose();`;
        const result = runLimitedScript(script);
        const wide = await loadModel(modelFile, {gpu: false, contextSize: 512});
        try {
            const file = await recipeVectorPath(wide, "formal");
            expect(JSON.parse(result.stdout.trim()), result.stderr).toEqual({nEmbd: 128,
                unsaved: `Could not write ${file}: the file is too large (EFBIG) — the system limits file sizes here (ulimit -f)`});
            expect(readdirSync(path.dirname(file))).toEqual([]); // no formal.gguf, no temporary file
            expect((await ensureRecipeVector(wide, "formal")).file).toBe(file);
            expect((await loadControlVector(file)).nEmbd).toBe(128);
        } finally {
            await wide.dispose();
        }
    });
});
