/** `steer-chat preset list | show NAME | save NAME --vector F:C ... [--steer-code on|off] [--when NAME>Z] [--force] | delete NAME`. */
import {displayText} from "../displayText.js";
import {UserFacingError} from "../errors.js";
import {describePreset, presetConditionRef, presetVectorRef} from "../presets/applyPreset.js";
import {PresetStore} from "../presets/presetStore.js";
import type {Preset, PresetVector} from "../presets/presetSchema.js";
import {type Condition, conditionText} from "../steering/conditionGate.js";
import {loadControlVector} from "../steering/loadControlVector.js";
import type {LayerRange} from "../steering/mixControlVectors.js";
import {parseLayerRange, parseVectorStrengthSpec} from "../steering/inputGrammar.js";
import {findVectorFile, looksLikePath} from "../steering/vectorLibrary.js";
import {recipeExists} from "../training/recipes.js";
import type {CliOptions} from "./options.js";

export async function runPreset(options: CliOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
    const notify = (notes: string[]) => notes.forEach((note) => err.write(`steer-chat: ${displayText(note, 1000)}\n`));
    const store = new PresetStore({onLockWait: (lock) => notify([`Waiting for another steer-chat to finish saving presets (${lock})…`])});
    notify(store.notices);
    const [action, name] = options.args;
    const needName = () => {
        if (name == null) throw new UserFacingError(`preset ${action} needs a NAME`);
        return name;
    };
    switch (action) {
        case "list":
            for (const {preset, origin} of store.list())
                out.write(`${preset.name.padEnd(20)} ${origin.padEnd(8)} ${describePreset(preset)}${preset.description ? `  — ${displayText(preset.description, 120)}` : ""}\n`);
            return 0;
        case "show": {
            const {preset, origin} = store.get(needName());
            out.write(JSON.stringify({...preset, origin}, null, 2) + "\n");
            return 0;
        }
        case "save": {
            const preset = await presetFromFlags(needName(), options);
            notify(await store.save(preset, {replace: options.force}));
            out.write(`Saved preset ${preset.name} to ${displayText(store.file, 1000)}\n`);
            return 0;
        }
        case "delete":
            notify(await store.delete(needName()));
            out.write(`Deleted preset ${displayText(name)}\n`);
            return 0;
        default:
            throw new UserFacingError(`Unknown preset action "${action}"`, "use list, show, save or delete");
    }
}

async function presetFromFlags(name: string, options: CliOptions): Promise<Preset> {
    if (options.vectors.length === 0) throw new UserFacingError("preset save needs at least one --vector F:C");
    const layers = options.layers != null ? parseLayerRange(options.layers) : undefined;
    const vectors: PresetVector[] = [];
    for (const spec of options.vectors) vectors.push(await checkedPresetVector(spec, layers));
    const given = {temperature: options.temperature, maxTokens: options.maxTokens, seed: options.seed};
    const sampling = Object.values(given).some((v) => v != null)
        ? Object.fromEntries(Object.entries(given).filter(([, v]) => v != null)) : undefined;
    return {name, vectors,
        ...(options.description ? {description: options.description} : {}),
        ...(options.system ? {systemPrompt: options.system} : {}),
        ...(sampling != null ? {sampling} : {}),
        ...(options.history != null ? {history: options.history} : {}),
        ...(options.steer != null ? {steer: options.steer} : {}),
        // the gates, as the chat's Ctrl+S stores them: code steering only when off, the condition's vector by
        // presetConditionRef
        ...(options.steerCode === "off" ? {steerCode: "off" as const} : {}),
        ...(options.when != null ? {when: await checkedCondition(options.when)} : {})};
}

/** --when for a preset: its vector must read, as the chat's /when checks it */
async function checkedCondition(condition: Condition): Promise<string> {
    await loadControlVector(findVectorFile(condition.ref));
    return conditionText({...condition, ref: presetConditionRef(condition.ref)});
}

/**
 * One --vector for a preset, checked as the chat checks /vector add (short of fitting a model, which is checked
 * when the preset is loaded): the coefficient, and that the file or name is a vector that reads, or a recipe.
 * Files are stored so they load from any folder; names (vectors or recipes) stay names.
 */
async function checkedPresetVector(spec: string, layers: LayerRange | undefined): Promise<PresetVector> {
    // NAME@Xσ stores the calibrated strength alone: each model it is loaded on turns it into its own coefficient
    const parsed = parseVectorStrengthSpec(spec);
    const {ref} = parsed;
    const strength = parsed.sigma != null ? {sigma: parsed.sigma} : {coefficient: parsed.coefficient};
    const withLayers = layers ? {layers: [layers.start, layers.end] as [number, number]} : {};
    let file: string;
    try {
        file = findVectorFile(ref);
    } catch (err) {
        // a recipe is trained for the model the preset is loaded with
        if (!looksLikePath(ref) && recipeExists(ref)) return {vector: ref, ...strength, ...withLayers};
        throw err;
    }
    await loadControlVector(file);
    return {vector: looksLikePath(ref) ? presetVectorRef(file) : ref, ...strength, ...withLayers};
}
