/**
 * A vector from a sentence: the description's checks and pairs (pure), then training on the demo model (stories260K):
 * the vector loads and has a held-out score, the second request comes from the per-model cache (training runs are
 * counted), and a changed description trains again.
 */
import {existsSync} from "node:fs";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {loadControlVector} from "../../src/steering/loadControlVector.js";
import {checkDescription, describedCacheKey, describedPairsText, describedRecipe, describedVectorPath, ensureDescribedVector,
    MAX_DESCRIPTION_CHARS} from "../../src/training/describedVectors.js";
import {renderRecipe} from "../../src/training/recipes.js";
import {trainControlVector} from "../../src/training/trainControlVector.js";
import {storiesModel, tempDir} from "../helpers/steeringTestKit.js";

describe("a description", () => {
    it("is one line of at most MAX_DESCRIPTION_CHARS characters, and not empty", () => {
        expect(checkDescription("  speaks like\n a\tpirate ")).toBe("speaks like a pirate");
        expect(() => checkDescription("")).toThrow(/description is empty/);
        expect(() => checkDescription(" \n\t ")).toThrow(/description is empty/);
        expect(checkDescription("é".repeat(MAX_DESCRIPTION_CHARS))).toHaveLength(MAX_DESCRIPTION_CHARS);
        const tooLong = () => checkDescription("x".repeat(MAX_DESCRIPTION_CHARS + 1));
        expect(tooLong).toThrow(`${MAX_DESCRIPTION_CHARS + 1} characters long, more than ${MAX_DESCRIPTION_CHARS}`);
    });

    it("becomes a persona against a neutral one that does not fit it, asked the same questions", () => {
        const recipe = describedRecipe("speaks like a pirate");
        expect(recipe.positive).toBe("Pretend you're a person who fits this description: speaks like a pirate. Make statements about the world.");
        expect(recipe.negative).toBe("Pretend you're a neutral person who does not fit this description: speaks like a pirate. Make statements about the world.");
        expect(recipe.questions.length * recipe.answerStarts.length).toBeGreaterThanOrEqual(10); // enough to hold 20 % out
        const lines = describedPairsText("speaks like a pirate");
        expect(lines[0]).toMatch(/^18 contrast pairs for "speaks like a pirate"/);
        expect(lines.filter((l) => /^ {2}pair +\d+: /.test(l))).toHaveLength(18);
    });

    it("is escaped where it is shown", () => {
        const lines = describedPairsText("talks \u001b[2J loudly \u202e backwards");
        expect(lines.join("\n")).not.toMatch(/[\u001b\u202e]/);
        expect(lines[1]).toContain("talks \\e[2J loudly \\u202e backwards");
    });

    it("keys the cache: another description or another training option is another vector", () => {
        const key = describedCacheKey("speaks like a pirate");
        expect(describedCacheKey(" speaks  like a pirate")).toBe(key); // the same description, spaced otherwise
        expect(describedCacheKey("speaks like a sailor")).not.toBe(key);
        expect(describedCacheKey("speaks like a pirate", {method: "pca"})).not.toBe(key);
        expect(describedCacheKey("speaks like a pirate", {seed: 1})).not.toBe(key);
        expect(describedCacheKey("speaks like a pirate", {layers: {start: 1, end: 2}})).not.toBe(key);
    });
});

describe("training a described vector on the demo model", () => {
    const previous = process.env.STEER_CHAT_DATA_DIR;
    let loaded: LoadedModel;
    beforeAll(async () => {
        process.env.STEER_CHAT_DATA_DIR = tempDir("steer-described-"); // the per-model cache lives under it
        loaded = await loadModel(storiesModel, {gpu: false, contextSize: 512, threads: 1});
    });
    afterAll(async () => {
        await loaded?.dispose();
        if (previous == null) delete process.env.STEER_CHAT_DATA_DIR;
        else process.env.STEER_CHAT_DATA_DIR = previous;
    });

    it("renders raw for a model without a chat template: the personas carry the description", () => {
        const {positives, negatives} = renderRecipe(describedRecipe("speaks like a pirate"), loaded.model);
        expect(positives).toHaveLength(18);
        expect(positives[0]).toBe("Pretend you're a person who fits this description: speaks like a pirate. Make statements about the world.\n" +
            "Tell me about your day.\nI");
        expect(negatives[0]).toMatch(/^Pretend you're a neutral person who does not fit this description: speaks like a pirate\./);
    });

    it("trains once, writes a vector that loads with a held-out score, then comes from the cache; a new description trains again", async () => {
        let trainings = 0;
        const counting: typeof trainControlVector = (model, options) => {
            trainings++;
            return trainControlVector(model, options);
        };
        let progressCalls = 0;
        const first = await ensureDescribedVector(loaded, "speaks like a pirate", {train: counting, onProgress: () => { progressCalls++; }});
        expect(trainings).toBe(1);
        expect(progressCalls).toBe(36); // two prompts a pair
        expect(first.file).toBe(await describedVectorPath(loaded, "speaks like a pirate"));
        expect(first.trained!.evaluatedTokens).toBeGreaterThan(0);
        const written = await loadControlVector(first.file);
        expect([...written.directions.keys()]).toEqual([1, 2, 3, 4]);
        expect(written.nEmbd).toBe(64);
        expect(written.quality).toMatchObject({trainPairs: 14, heldOutPairs: 4});
        expect(written.quality!.layers.every((l) => l.auroc >= 0 && l.auroc <= 1)).toBe(true);

        const second = await ensureDescribedVector(loaded, "speaks like a pirate", {train: counting});
        expect(trainings).toBe(1); // the cache, not a second training
        expect(second.trained).toBeUndefined();
        expect(second.file).toBe(first.file);
        expect([...second.vector.directions.get(2)!]).toEqual([...written.directions.get(2)!]);

        const other = await ensureDescribedVector(loaded, "speaks like a sailor", {train: counting});
        expect(trainings).toBe(2);
        expect(other.file).not.toBe(first.file);
        expect(existsSync(first.file)).toBe(true);
    });

    it("stops when its signal aborts, and caches nothing", async () => {
        const abort = new AbortController();
        const file = await describedVectorPath(loaded, "is very polite");
        await expect(ensureDescribedVector(loaded, "is very polite", {signal: abort.signal, onProgress: (done) => { if (done === 1) abort.abort(); }}))
            .rejects.toThrow("Training was cancelled");
        expect(existsSync(file)).toBe(false);
    });
});
