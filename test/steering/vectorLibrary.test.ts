/**
 * Which file a vector name means: the user's vectors folder, then the vectors trained for the loaded model (the
 * recipe cache that /train writes), then the shipped vectors/; one rule for /vector add, --vector, the a picker and
 * `steer-chat vectors`.
 */
import {copyFileSync, mkdirSync} from "node:fs";
import path from "node:path";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {shippedVectorsDir} from "../../src/config/paths.js";
import {adoptTrainedVector} from "../../src/training/recipeVectors.js";
import {findVectorFile, listVectors, TRAINED_FOLDER_LABEL} from "../../src/steering/vectorLibrary.js";
import {repoRoot, tempDir} from "../helpers/tinyModel.js";

const fixture = path.join(repoRoot, "test", "fixtures", "vectors", "happy.gguf");

describe("a vector name means the first of: user, trained for this model, shipped", () => {
    let saved: string | undefined;
    let config: string;
    let trained: string;
    beforeEach(() => {
        saved = process.env.STEER_CHAT_CONFIG_DIR;
        config = tempDir("steer-names-");
        process.env.STEER_CHAT_CONFIG_DIR = config;
        trained = path.join(config, "data", "trained", "0123456789abcdef");
        mkdirSync(trained, {recursive: true});
    });
    afterEach(() => {
        if (saved == null) delete process.env.STEER_CHAT_CONFIG_DIR;
        else process.env.STEER_CHAT_CONFIG_DIR = saved;
    });

    it("a vector trained for this model comes before the shipped one of that name, and the user's before both", () => {
        const shipped = path.join(shippedVectorsDir(), "happy.gguf");
        expect(findVectorFile("happy", trained)).toBe(shipped);
        copyFileSync(fixture, path.join(trained, "happy.gguf"));
        expect(findVectorFile("happy", trained)).toBe(path.join(trained, "happy.gguf"));
        expect(findVectorFile("happy")).toBe(shipped); // no model's trained folder: the shipped one
        mkdirSync(path.join(config, "vectors"));
        copyFileSync(fixture, path.join(config, "vectors", "happy.gguf"));
        expect(findVectorFile("happy", trained)).toBe(path.join(config, "vectors", "happy.gguf"));
    });

    it("the listing names each file's folder and marks the files a name does not mean", async () => {
        copyFileSync(fixture, path.join(trained, "happy.gguf"));
        const happy = (await listVectors(trained)).filter((v) => v.name === "happy");
        expect(happy.map((v) => [v.folder, v.shadowedBy])).toEqual([[TRAINED_FOLDER_LABEL, undefined], ["shipped", TRAINED_FOLDER_LABEL]]);
    });

    it("after /train the note says what /vector add NAME loads: the new file, or the user's file of that name", () => {
        const file = path.join(trained, "happy.gguf");
        copyFileSync(fixture, file);
        expect(adoptTrainedVector(undefined, "happy", file)).toBe("/vector add happy uses it");
        mkdirSync(path.join(config, "vectors"));
        copyFileSync(fixture, path.join(config, "vectors", "happy.gguf"));
        expect(adoptTrainedVector(undefined, "happy", file))
            .toBe(`/vector add happy still means ${path.join(config, "vectors", "happy.gguf")} (your vectors folder comes first); /vector add ${file} uses the new one`);
    });
});
