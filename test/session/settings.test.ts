/**
 * The conversation's settings and where each came from (src/session/settings.ts): the one rule of precedence, the
 * user's command over a flag over a preset over the defaults, with /system a soft choice a later preset replaces.
 * Pure: no conversation, no model.
 */
import {describe, expect, it} from "vitest";
import {DEFAULT_SAMPLING} from "../../src/engine/sampling.js";
import {defaultSettings, DEFAULT_HISTORY_POLICY, givenOnly, presetLayer, Settings, winningSource} from "../../src/session/settings.js";

const defaults = defaultSettings({maxTokens: 200});

describe("settings with their origins", () => {
    it("the defaults are llama.cpp's sampling under the model's own, keep, and every token steered", () => {
        expect(defaults).toEqual({...DEFAULT_SAMPLING, maxTokens: 200, systemPrompt: undefined, history: "keep", steer: "all"});
        expect(DEFAULT_HISTORY_POLICY).toBe("keep");
        const settings = Settings.of(defaults);
        expect(settings.resolve()).toEqual(defaults);
        expect(settings.origin("temperature")).toEqual({from: "default"});
        expect(settings.preset).toBeUndefined();
    });

    it("precedence is one rule: the user's command, then a flag, then the preset, then the user's soft choice a preset replaced", () => {
        const all = {user: {temperature: 1}, flags: {temperature: 2}, preset: {temperature: 3}, userUnderPreset: {temperature: 4}};
        expect(winningSource("temperature", all)).toBe("user");
        expect(winningSource("temperature", {...all, user: {}})).toBe("flag");
        expect(winningSource("temperature", {...all, user: {}, flags: {}})).toBe("preset");
        expect(winningSource("temperature", {...all, user: {}, flags: {}, preset: undefined})).toBe("userUnderPreset");
        expect(winningSource("temperature", {user: {}, flags: {}, userUnderPreset: {}})).toBe("default");
        // a key given as undefined is given: "no system prompt", "a random seed"
        expect(winningSource("seed", {user: {seed: undefined}, flags: {seed: 5}, userUnderPreset: {}})).toBe("user");
    });

    it("a flag wins over a preset; a preset over the defaults; the user's command over both", () => {
        const flags = givenOnly({temperature: 0.2, systemPrompt: undefined, seed: undefined});
        expect(flags).toEqual({temperature: 0.2}); // a flag not given is no layer value
        const hot = Settings.of(defaults, flags).withPreset("hot", presetLayer({sampling: {temperature: 1.9, topK: 5}, history: "reeval"}));
        expect(hot.resolve()).toMatchObject({temperature: 0.2, topK: 5, history: "reeval"});
        expect(hot.origin("temperature")).toEqual({from: "flag"});
        expect(hot.origin("topK")).toEqual({from: "preset", preset: "hot"});
        expect(hot.keptFromPreset()).toEqual(["temperature"]);
        const mine = hot.withUser("topK", 9).withUser("temperature", 0.5);
        expect(mine.resolve()).toMatchObject({temperature: 0.5, topK: 9});
        expect(mine.origin("topK")).toEqual({from: "user"});
        expect(mine.keptFromPreset()).toEqual(["temperature", "topK"]);
    });

    it("loading a preset replaces the last one's settings whole: calm after pirate keeps nothing of the pirate", () => {
        const pirate = Settings.of(defaults).withPreset("pirate", presetLayer({systemPrompt: "Talk like a pirate.", sampling: {temperature: 1.3}}));
        expect(pirate.resolve()).toMatchObject({systemPrompt: "Talk like a pirate.", temperature: 1.3});
        const calm = pirate.withPreset("calm", presetLayer({}));
        expect(calm.resolve()).toEqual(defaults);
        expect(calm.preset).toBe("calm");
    });

    it("/system is soft: a preset with a prompt loaded after it replaces it, and a later preset without one falls back to it", () => {
        const terse = Settings.of(defaults).withUser("systemPrompt", "You are terse.");
        const pirate = terse.withPreset("pirate", presetLayer({systemPrompt: "Talk like a pirate."}));
        expect(pirate.value("systemPrompt")).toBe("Talk like a pirate.");
        const bare = pirate.withPreset("bare", presetLayer({}));
        expect(bare.value("systemPrompt")).toBe("You are terse.");
        expect(bare.origin("systemPrompt")).toEqual({from: "user"});
        // /system after a preset is loaded takes effect over it
        expect(pirate.withUser("systemPrompt", "Mine.").value("systemPrompt")).toBe("Mine.");
        // with --system given, the user's /system stays over any preset, as the flag would
        const flagged = Settings.of(defaults, {systemPrompt: "From the flag."}).withUser("systemPrompt", "Mine.")
            .withPreset("pirate", presetLayer({systemPrompt: "Talk like a pirate."}));
        expect(flagged.value("systemPrompt")).toBe("Mine.");
        // the hard choices (/set, /history, /steer) stay over presets
        const hard = Settings.of(defaults).withUser("history", "reeval").withUser("steer", "reply")
            .withPreset("p", presetLayer({history: "keep", steer: "all"}));
        expect(hard.resolve()).toMatchObject({history: "reeval", steer: "reply"});
        expect(hard.keptFromPreset()).toEqual(["history", "steer"]);
    });

    it("--preset at start-up sits under the flags; a later preset falls back to the flags, not to --preset's settings", () => {
        const flags = {systemPrompt: "From the flags.", temperature: 0.3};
        const started = Settings.of(defaults, flags).withPreset("pirate", presetLayer({systemPrompt: "Talk like a pirate.",
            sampling: {temperature: 1.3, topK: 10}}));
        expect(started.resolve()).toMatchObject({systemPrompt: "From the flags.", temperature: 0.3, topK: 10});
        const bare = started.withPreset("bare", presetLayer({}));
        expect(bare.resolve()).toMatchObject({systemPrompt: "From the flags.", temperature: 0.3, topK: defaults.topK});
        expect(bare.origin("systemPrompt")).toEqual({from: "flag"});
    });

    it("a preset's seed and max-tokens apply unless pinned; its steer policy too", () => {
        const short = presetLayer({sampling: {maxTokens: 9, seed: 3}, steer: "reply"});
        expect(Settings.of(defaults).withPreset("short", short).resolve()).toMatchObject({maxTokens: 9, seed: 3, steer: "reply"});
        expect(Settings.of(defaults, {maxTokens: 50, steer: "all"}).withPreset("short", short).resolve())
            .toMatchObject({maxTokens: 50, seed: 3, steer: "all"});
    });
});
