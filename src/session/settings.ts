/**
 * The conversation's settings (system prompt, sampling, history policy, steering policy) as one value that knows
 * where each came from: the defaults, a command-line flag, a preset, or the user's own command in the chat. Which
 * one wins is decided here only (`resolve`), so --preset at start-up, /preset load, /set, /system, /history and
 * /steer all agree:
 *
 *   the user's command  >  a flag  >  the loaded preset  >  the defaults
 *
 * with one exception, kept from before: /system is a soft choice. A preset loaded after it that has a system prompt
 * replaces it (the preset's prompt is the point of loading it), and the user's prompt is then what a later preset
 * without one falls back to. Loading a preset replaces the last one's settings whole: loading "calm" after "pirate"
 * keeps nothing of the pirate. Pure: no conversation, no model.
 */
import type {HistoryPolicy} from "../engine/historyCache.js";
import {DEFAULT_SAMPLING, SAMPLING_SETTINGS, type SamplingOptions} from "../engine/sampling.js";
import type {Preset} from "../presets/presetSchema.js";
import type {SteerPolicy} from "../steering/steerPolicy.js";

/**
 * The chat's history policy when neither --history nor the preset sets one: keep, so a live tweak costs no wait
 * (the README argues it; the status line says when the history was evaluated under older steering).
 */
export const DEFAULT_HISTORY_POLICY: HistoryPolicy = "keep";

/** every setting, flat: a system prompt of undefined is none, a seed of undefined is random */
export type SettingValues = {systemPrompt: string | undefined, history: HistoryPolicy, steer: SteerPolicy} & SamplingOptions;
export type SettingKey = keyof SettingValues;
/** what one source gives: a key it leaves out is not given (a key present as undefined is: "none", "random") */
export type SettingsLayer = Partial<SettingValues>;

/** where a value came from; `preset` names the preset */
export type SettingOrigin = {from: "default" | "flag" | "user"} | {from: "preset", preset: string};

/** the keys in the order /settings shows them */
export const SETTING_KEYS: readonly SettingKey[] = ["systemPrompt", "history", "steer",
    ...Object.values(SAMPLING_SETTINGS).map((s) => s.key)];

const SAMPLING_KEYS = Object.values(SAMPLING_SETTINGS).map((s) => s.key);

/** choices the user makes that a preset loaded later replaces (see the top of this file) */
const SOFT: ReadonlySet<SettingKey> = new Set(["systemPrompt"]);

/** the defaults: llama.cpp's sampling (with the model's own, e.g. the demo's shorter replies), keep, every token steered */
export function defaultSettings(modelSampling: Partial<SamplingOptions> = {}): SettingValues {
    return {systemPrompt: undefined, history: DEFAULT_HISTORY_POLICY, steer: "all", ...DEFAULT_SAMPLING, ...modelSampling};
}

type Layers = {
    defaults: SettingValues,
    flags: SettingsLayer,
    preset?: {name: string, values: SettingsLayer},
    user: SettingsLayer,
    /** the user's soft choices a preset loaded after them replaced: what a later preset without that setting falls back to */
    userUnderPreset: SettingsLayer
};

const has = (layer: SettingsLayer, key: SettingKey) => Object.hasOwn(layer, key);

function without(layer: SettingsLayer, keys: readonly SettingKey[]): SettingsLayer {
    return Object.fromEntries(Object.entries(layer).filter(([key]) => !keys.includes(key as SettingKey))) as SettingsLayer;
}

function pick(layer: SettingsLayer, keys: readonly SettingKey[]): SettingsLayer {
    return Object.fromEntries(Object.entries(layer).filter(([key]) => keys.includes(key as SettingKey))) as SettingsLayer;
}

/** a layer from a source that may write `undefined` for "not given" (flags): only the keys it gives */
export function givenOnly(values: {[K in SettingKey]?: SettingValues[K] | undefined}): SettingsLayer {
    return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as SettingsLayer;
}

/**
 * Which source's value a setting takes: the one pure rule of precedence. `user` over `flag` over `preset` over the
 * user's soft choices a preset replaced, over the defaults.
 */
export function winningSource(key: SettingKey, layers: {flags: SettingsLayer, preset?: SettingsLayer, user: SettingsLayer,
    userUnderPreset: SettingsLayer}): "user" | "flag" | "preset" | "userUnderPreset" | "default" {
    if (has(layers.user, key)) return "user";
    if (has(layers.flags, key)) return "flag";
    if (layers.preset != null && has(layers.preset, key)) return "preset";
    if (has(layers.userUnderPreset, key)) return "userUnderPreset";
    return "default";
}

export class Settings {
    private constructor(private readonly layers: Layers) {}

    /** the settings from the defaults and the flags given (a flag left out is undefined or absent) */
    static of(defaults: SettingValues, flags: SettingsLayer = {}): Settings {
        return new Settings({defaults, flags, user: {}, userUnderPreset: {}});
    }

    /**
     * A preset loaded: its settings replace the last preset's. The user's soft choices it sets (its system prompt
     * over /system's) move under it, unless a flag holds that setting (then the user's choice stays on top).
     */
    withPreset(name: string, values: SettingsLayer): Settings {
        const replaced = SETTING_KEYS.filter((key) => SOFT.has(key) && has(values, key) && has(this.layers.user, key)
            && !has(this.layers.flags, key));
        return new Settings({...this.layers, preset: {name, values},
            user: without(this.layers.user, replaced),
            userUnderPreset: {...this.layers.userUnderPreset, ...pick(this.layers.user, replaced)}});
    }

    /** The user's own command (/set, /system, /history, /steer): it wins over flags and presets. */
    withUser<K extends SettingKey>(key: K, value: SettingValues[K]): Settings {
        return new Settings({...this.layers, user: {...this.layers.user, [key]: value},
            userUnderPreset: without(this.layers.userUnderPreset, [key])});
    }

    /** the value of every setting */
    resolve(): SettingValues {
        return Object.fromEntries(SETTING_KEYS.map((key) => [key, this.value(key)])) as SettingValues;
    }

    value<K extends SettingKey>(key: K): SettingValues[K] {
        const {flags, preset, user, userUnderPreset, defaults} = this.layers;
        const source = winningSource(key, {flags, preset: preset?.values, user, userUnderPreset});
        const layer = source === "user" ? user : source === "flag" ? flags : source === "preset" ? preset!.values
            : source === "userUnderPreset" ? userUnderPreset : defaults;
        return layer[key] as SettingValues[K];
    }

    origin(key: SettingKey): SettingOrigin {
        const {flags, preset, user, userUnderPreset} = this.layers;
        const source = winningSource(key, {flags, preset: preset?.values, user, userUnderPreset});
        if (source === "preset") return {from: "preset", preset: preset!.name};
        return {from: source === "userUnderPreset" ? "user" : source};
    }

    /** the loaded preset's name (undefined before any) */
    get preset(): string | undefined {
        return this.layers.preset?.name;
    }

    /** The settings the loaded preset gives that a flag or the user's own command keeps out. */
    keptFromPreset(): SettingKey[] {
        const preset = this.layers.preset?.values ?? {};
        return SETTING_KEYS.filter((key) => has(preset, key) && this.origin(key).from !== "preset");
    }

    /** the sampling part of the values */
    sampling(): SamplingOptions {
        return Object.fromEntries(SAMPLING_KEYS.map((key) => [key, this.value(key)])) as SamplingOptions;
    }
}

/** a preset's settings, as a layer: those it stores (its steering is staged apart, see presetSteering) */
export function presetLayer(preset: Pick<Preset, "systemPrompt" | "sampling" | "history" | "steer">): SettingsLayer {
    return givenOnly({systemPrompt: preset.systemPrompt, history: preset.history, steer: preset.steer, ...preset.sampling});
}
