/**
 * `steer-chat preset save` takes the steering gates (--steer-code, --when) and stores them as the chat's Ctrl+S
 * does: code steering only when off, the condition's vector checked first and stored by presetConditionRef (a name
 * for the vectors folders, an absolute path for any other file). Pure: no model.
 */
import {copyFileSync, mkdirSync} from "node:fs";
import path from "node:path";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {parseCli} from "../../src/cli/options.js";
import {runPreset} from "../../src/cli/presetCommand.js";
import {presetConditionRef} from "../../src/presets/applyPreset.js";
import {PresetStore} from "../../src/presets/presetStore.js";
import {trainedVectorsDir} from "../../src/training/recipeVectors.js";
import {UserFacingError} from "../../src/errors.js";
import {repoRoot, tempDir} from "../helpers/tinyModel.js";

describe("preset save with gates", () => {
    let dir: string;
    const previous = {config: process.env.STEER_CHAT_CONFIG_DIR, data: process.env.STEER_CHAT_DATA_DIR};
    beforeEach(() => {
        dir = tempDir();
        process.env.STEER_CHAT_CONFIG_DIR = dir;
        process.env.STEER_CHAT_DATA_DIR = tempDir();
    });
    afterEach(() => {
        for (const [key, value] of [["STEER_CHAT_CONFIG_DIR", previous.config], ["STEER_CHAT_DATA_DIR", previous.data]] as const) {
            if (value == null) delete process.env[key];
            else process.env[key] = value;
        }
    });
    const sink = {write: () => true} as unknown as NodeJS.WritableStream;
    const save = (...args: string[]) => runPreset(parseCli(["preset", "save", ...args]), sink, sink);
    const stored = (name: string) => new PresetStore({dir}).get(name).preset;

    it("stores --steer-code off and --when as the chat would; --steer-code on is the default and stores nothing", async () => {
        expect(await save("gated", "--vector", "happy:0.3", "--steer-code", "off", "--when", "sue>0.5")).toBe(0);
        expect(stored("gated")).toMatchObject({vectors: [{vector: "happy", coefficient: 0.3}], steerCode: "off", when: "sue>0.5"});
        expect(await save("plain", "--vector", "happy:0.3", "--steer-code", "on", "--when", "tim<-1")).toBe(0);
        expect(stored("plain").steerCode).toBeUndefined();
        expect(stored("plain").when).toBe("tim<-1");
    });

    it("a --when file is stored by absolute path, so the preset loads from any folder; a shipped one by its name", async () => {
        const copy = path.join(tempDir(), "mood.gguf");
        copyFileSync(path.join(repoRoot, "vectors", "sue.gguf"), copy);
        expect(await save("byfile", "--vector", "happy:0.3", "--when", `${path.relative(process.cwd(), copy)}>1`)).toBe(0);
        expect(stored("byfile").when).toBe(`${copy}>1`);
        expect(await save("shipped", "--vector", "happy:0.3", "--when", `${path.join(repoRoot, "vectors", "sue.gguf")}<0`)).toBe(0);
        expect(stored("shipped").when).toBe("sue<0");
    });

    it("a file in the trained cache keeps its path: the condition reader does not look names up there", async () => {
        const cached = path.join(trainedVectorsDir(), "0123abcd", "mood.gguf");
        mkdirSync(path.dirname(cached), {recursive: true});
        copyFileSync(path.join(repoRoot, "vectors", "sue.gguf"), cached);
        expect(await save("trained", "--vector", "happy:0.3", "--when", `${cached}>1`)).toBe(0);
        expect(stored("trained").when).toBe(`${cached}>1`);
    });

    it("presetConditionRef, which Ctrl+S uses too: a relative path made absolute, a vectors-folder file by name, a name as it is", () => {
        const copy = path.join(tempDir(), "mood.gguf");
        copyFileSync(path.join(repoRoot, "vectors", "sue.gguf"), copy);
        expect(presetConditionRef(path.relative(process.cwd(), copy))).toBe(copy);
        expect(presetConditionRef(path.join(repoRoot, "vectors", "tim.gguf"))).toBe("tim");
        expect(presetConditionRef("tim")).toBe("tim");
        expect(presetConditionRef("tim.gguf")).toBe("tim.gguf"); // no such file here: a name, looked up as the reader does
    });

    it("a --when vector that does not exist is refused before anything is saved; a malformed one at parsing", async () => {
        await expect(save("missing", "--vector", "happy:0.3", "--when", "nosuchvector>1")).rejects.toThrow(UserFacingError);
        expect(new PresetStore({dir}).list().some((p) => p.preset.name === "missing")).toBe(false);
        expect(() => parseCli(["preset", "save", "bad", "--vector", "happy:0.3", "--when", "sue>x"])).toThrow('Invalid value for --when: "sue>x"');
    });
});
