/**
 * Sets up steering for a loaded model from what the user asked for (--vector, --layers, --preset): the controller,
 * the vectors, and the notes to show (why steering is unavailable, architecture warnings). Also the turn rule: the
 * conversation hooks that apply staged steering before each turn and name the steering the cache was evaluated under.
 */
import {existsSync} from "node:fs";
import {UserFacingError} from "../errors.js";
import type {LoadedModel} from "../engine/runtime.js";
import {SteeringController} from "../steering/steeringController.js";
import {roundCoefficient} from "../steering/steeringState.js";
import {parseLayerRange, parseVectorStrengthSpec} from "../steering/inputGrammar.js";
import {modelCalibration, resolveSigma} from "../steering/calibration.js";
import type {CodeSteering, SteerPolicy} from "../steering/steerPolicy.js";
import type {Condition} from "../steering/conditionGate.js";
import type {ModelCalibration} from "../steering/strengthUnits.js";
import {qualityWarning} from "../steering/vectorQuality.js";
import {steeringActsNote} from "../steering/steeringActsCheck.js";
import {presetSteering} from "../presets/applyPreset.js";
import {loadEntryOrRecipe, modelTrainedDir, recipeTrainerFor, trainedVectorsDir} from "../training/recipeVectors.js";
import {PresetStore} from "../presets/presetStore.js";
import type {Preset} from "../presets/presetSchema.js";
import type {HistoryPolicy} from "../engine/conversation.js";


/** What a session is set up from: the command line's words, typed here so the session does not know the CLI. */
export type SessionSetupOptions = {
    /** NAME_OR_FILE[:COEFF] each */
    vectors: readonly string[],
    /** "A-B" for every --vector */
    layers?: string,
    /** a preset's name */
    preset?: string,
    system?: string,
    temperature?: number,
    maxTokens?: number,
    seed?: number,
    history?: HistoryPolicy,
    /** which tokens the steering acts on (--steer) */
    steer?: SteerPolicy,
    /** the steering gates (--steer-code, --when) */
    steerCode?: CodeSteering,
    when?: Condition
};

export type SteeringSetup = {
    controller: SteeringController | undefined,
    notes: string[],
    /** the --preset's name and settings, for the conversation (explicit flags win: settings.ts) */
    preset?: Pick<Preset, "name" | "systemPrompt" | "sampling" | "history" | "steer" | "steerCode" | "when">,
    /**
     * The check that steering acts on this model (steering/steeringActsCheck.ts), not started yet: its one-line
     * warning, or undefined when steering acts. The chat runs it once it is shown; ask and serve before generating.
     */
    checkSteering?: () => Promise<string | undefined>
};

/** `calibration`: the model's calibration, for strengths in σ (default: from its cache, measured when missing) */
export async function setupSteering(loaded: LoadedModel, options: Pick<SessionSetupOptions, "vectors" | "layers" | "preset">,
    onTrainProgress?: (done: number, total: number) => void, signal?: AbortSignal,
    calibration: () => Promise<ModelCalibration> = () => modelCalibration(loaded)): Promise<SteeringSetup> {
    const notes: string[] = [];
    // look the preset up first: a misspelt name should fail before anything else happens
    const presetStore = options.preset != null ? new PresetStore() : undefined;
    const preset = options.preset != null ? presetStore!.get(options.preset).preset : undefined;
    if (presetStore) notes.push(...presetStore.notices);
    let controller: SteeringController;
    try {
        controller = SteeringController.create(loaded.context, loaded.model);
    } catch (err) {
        if (options.vectors.length > 0 || preset != null || !(err instanceof UserFacingError)) throw err;
        notes.push(err.toLine());
        return {controller: undefined, notes};
    }
    // checked, not only looked up: a push at one layer must move the next (the list's word where the check cannot run);
    // run by the caller, once and when it suits it
    let checked: Promise<string | undefined> | undefined;
    const checkSteering = () => (checked ??= steeringActsNote(loaded, controller));
    // hashing a big model takes a while the first time: only once something was ever trained
    if (existsSync(trainedVectorsDir())) controller.trainedDir = await modelTrainedDir(loaded);
    if (preset) {
        const {state, loaded: names, skipped} = await presetSteering(preset, controller,
            {train: recipeTrainerFor(loaded), onProgress: onTrainProgress, signal}, {calibration});
        controller.update(() => state);
        notes.push(`Preset ${preset.name}: ${names.length > 0 ? `loaded ${names.join(", ")}` : "no vector fits this model"}`);
        for (const s of skipped) notes.push(`Preset ${preset.name} skipped ${s}`);
    }
    if (options.layers != null && options.vectors.length === 0)
        throw new UserFacingError("--layers needs at least one --vector", "add --vector FILE[:COEFF]");
    const layers = options.layers != null ? parseLayerRange(options.layers) : undefined;
    for (const spec of options.vectors) {
        const strength = parseVectorStrengthSpec(spec);
        const loadedEntry = await loadEntryOrRecipe(controller, strength.ref, strength.coefficient ?? 0,
            {layers, train: recipeTrainerFor(loaded), onProgress: onTrainProgress, signal});
        // F@Xσ: a strength in the model's own units, measured once per model (cached)
        const entry = strength.sigma == null ? loadedEntry : {...loadedEntry,
            coefficient: roundCoefficient(resolveSigma(strength.sigma, loadedEntry.name, loadedEntry.vector, await calibration(), layers))};
        controller.update((s) => s.add(entry));
        notes.push(...entry.warnings ?? []);
        const weak = qualityWarning(entry.name, entry.vector.quality);
        if (weak) notes.push(weak);
    }
    return {controller, notes, checkSteering,
        preset: preset && {name: preset.name, systemPrompt: preset.systemPrompt, sampling: preset.sampling, history: preset.history,
            steer: preset.steer, steerCode: preset.steerCode, when: preset.when}};
}

/**
 * The conversation hooks for steering: apply staged steering before each turn (and before /reeval), and name the
 * applied steering, so the conversation knows which cached tokens were evaluated under another. What a change does
 * to the history is the conversation's history policy.
 */
export function steeringHooks(controller: SteeringController | undefined) {
    return {
        beforeTurn: () => controller?.applyStaged() ?? false,
        settingsKey: () => controller?.appliedState.signature() ?? "[]"
    };
}
