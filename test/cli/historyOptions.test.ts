/**
 * The history policy's settings outside the chat: --history and its alias --keep-cache, and the preset field.
 * Pure: no model.
 */
import {describe, expect, it} from "vitest";
import {parseCli} from "../../src/cli/options.js";
import {DEFAULT_HISTORY_POLICY, defaultSettings, presetLayer, Settings} from "../../src/session/settings.js";
import {UserFacingError} from "../../src/errors.js";
import {presetFromSteering} from "../../src/presets/applyPreset.js";
import {presetProblem} from "../../src/presets/presetSchema.js";
import {SteeringState} from "../../src/steering/steeringState.js";
import {runPreset} from "../../src/cli/presetCommand.js";
import {PresetStore} from "../../src/presets/presetStore.js";
import {tempDir} from "../helpers/tinyModel.js";

describe("--history", () => {
    it("takes keep or reeval; --keep-cache is --history keep; none given leaves it to the preset or the default", () => {
        expect(parseCli(["--history", "reeval"]).history).toBe("reeval");
        expect(parseCli(["--history", "keep"]).history).toBe("keep");
        expect(parseCli(["--keep-cache"]).history).toBe("keep");
        expect(parseCli(["--keep-cache", "--history", "keep"]).history).toBe("keep");
        expect(parseCli([]).history).toBeUndefined();
    });

    it("refuses another value, and --keep-cache with --history reeval, in one line naming the flag", () => {
        expect(() => parseCli(["--history", "always"])).toThrow(UserFacingError);
        expect(() => parseCli(["--history", "always"])).toThrow('Invalid value for --history: "always"');
        expect(() => parseCli(["--keep-cache", "--history", "reeval"])).toThrow("--keep-cache contradicts --history reeval");
    });

    it("the flag wins over the preset's policy, which wins over the default (keep)", () => {
        const started = (flags: {history?: "keep" | "reeval"}, history?: "keep" | "reeval") =>
            Settings.of(defaultSettings(), flags).withPreset("p", presetLayer({history})).value("history");
        expect(started({history: "reeval"}, "keep")).toBe("reeval");
        expect(started({}, "reeval")).toBe("reeval");
        expect(started({})).toBe(DEFAULT_HISTORY_POLICY);
        expect(DEFAULT_HISTORY_POLICY).toBe("keep");
    });
});

describe("a preset's history policy", () => {
    it("is optional, keep or reeval, and saved from the chat's policy", () => {
        expect(presetProblem({name: "p", vectors: [], history: "reeval"})).toBeUndefined();
        expect(presetProblem({name: "p", vectors: []})).toBeUndefined();
        expect(presetProblem({name: "p", vectors: [], history: "sometimes"})).toBe("history must be reeval or keep");
        expect(presetFromSteering("p", new SteeringState([]), {history: "keep"})).toEqual({name: "p", history: "keep", vectors: []});
    });

    it("goes through the preset store, and `preset save --history` stores it", async () => {
        const dir = tempDir();
        await new PresetStore({dir}).save({name: "exact", vectors: [{vector: "happy", coefficient: 0.5}], history: "reeval"});
        expect(new PresetStore({dir}).get("exact").preset.history).toBe("reeval");
        const previous = process.env.STEER_CHAT_CONFIG_DIR;
        process.env.STEER_CHAT_CONFIG_DIR = dir;
        try {
            const sink = {write: () => true} as unknown as NodeJS.WritableStream;
            expect(await runPreset(parseCli(["preset", "save", "quick", "--vector", "happy:0.3", "--history", "keep"]), sink, sink)).toBe(0);
        } finally {
            if (previous == null) delete process.env.STEER_CHAT_CONFIG_DIR;
            else process.env.STEER_CHAT_CONFIG_DIR = previous;
        }
        expect(new PresetStore({dir}).get("quick").preset).toMatchObject({name: "quick", history: "keep"});
    });

    it("applies when loaded; a preset without one falls back to the policy from before any preset", () => {
        const a = Settings.of(defaultSettings()).withPreset("a", presetLayer({history: "reeval"}));
        expect(a.value("history")).toBe("reeval");
        expect(a.withPreset("b", presetLayer({})).value("history")).toBe("keep");
    });
});
