/**
 * Turning presets into steering and back. Loading keeps what fits the model and says what it skipped and why.
 */
import {existsSync} from "node:fs";
import path from "node:path";
import {displayText} from "../displayText.js";
import {errorMessage, UserFacingError} from "../errors.js";
import type {ControlVector} from "../steering/controlVector.js";
import {resolveSigma, sigmaOf} from "../steering/calibration.js";
import type {LayerRange} from "../steering/mixControlVectors.js";
import type {ModelCalibration} from "../steering/strengthUnits.js";
import {DEFAULT_SAMPLING, type SamplingOptions} from "../engine/sampling.js";
import type {SteeringController} from "../steering/steeringController.js";
import {formatCoefficient, formatLayers, layersToPair, pairToLayers} from "../steering/describe.js";
import {formatSigma} from "../steering/strengthUnits.js";
import {roundCoefficient, SteeringState} from "../steering/steeringState.js";
import {looksLikePath, vectorFolders, vectorNameOf} from "../steering/vectorLibrary.js";
import {loadEntryOrRecipe, trainedVectorsDir, type RecipeFallback} from "../training/recipeVectors.js";
import {PRESET_SAMPLING_KEYS, type Preset, type PresetVector} from "./presetSchema.js";

/** the preset's steering (what fits this model), the names it loaded and what it skipped and why */
export type PresetLoadResult = {state: SteeringState, loaded: string[], skipped: string[]};

/** The model's calibration, or a way to get it (measured or read from the cache only when a preset needs it). */
export type CalibrationSource = ModelCalibration | (() => Promise<ModelCalibration>);

/**
 * The raw coefficient a preset's vector is loaded with on this model. On the model the preset was saved on
 * (`savedOn`, the model's SHA-256, is the calibration's), exactly the coefficient it stores: σ rounded to 4 digits
 * and back would move it (+0.75 came back as 0.749643). On another model its `sigma` through that model's
 * calibration (so the preset moves between models), else its `coefficient`. A sigma with no calibration to resolve
 * it and no coefficient to fall back on is a one-line error.
 */
export function presetCoefficient(v: PresetVector, vector: ControlVector, calibration: ModelCalibration | undefined,
    layers?: LayerRange, savedOn?: string): number {
    if (v.coefficient != null && savedOn != null && calibration?.modelHash === savedOn) return v.coefficient;
    if (v.sigma != null && calibration != null) return resolveSigma(v.sigma, v.vector, vector, calibration, layers);
    if (v.coefficient != null) return v.coefficient;
    throw new UserFacingError(`${v.vector} is stored at ${v.sigma}σ, which needs the model's calibration`, "load it where the model is loaded, or store a coefficient beside the sigma");
}

/**
 * The preset's steering on this model, to stage in place of the current one (what fits; with `train`, a vector that
 * does not fit but has a recipe is trained for this model, so shipped presets work beyond the model their files were
 * made for). The controller only loads and fits the vectors: nothing is staged here (ChatSession.stage does that).
 * Strengths in σ are resolved with `calibration` (asked for once, only when a vector has one).
 * Its system prompt and sampling: session/settings.ts (withPreset).
 */
export async function presetSteering(preset: Preset, controller: SteeringController, fallback: RecipeFallback = {},
    {calibration}: {calibration?: CalibrationSource} = {}): Promise<PresetLoadResult> {
    let state = new SteeringState();
    const skipped: string[] = [];
    let resolved: ModelCalibration | undefined;
    const calibrationNow = async () => (resolved ??= typeof calibration === "function" ? await calibration() : calibration);
    for (const v of preset.vectors) {
        try {
            const layers = v.layers ? pairToLayers(v.layers) : undefined;
            // one row per vector, as with --vector: the same file twice is summed, two files named x get x and x-2
            const entry = await loadEntryOrRecipe(controller, v.vector, v.coefficient ?? 0,
                {layers, enabled: v.enabled ?? true, ...fallback});
            const coefficient = presetCoefficient(v, entry.vector, v.sigma != null ? await calibrationNow() : undefined, entry.layers,
                preset.model);
            state = state.add({...entry, coefficient: roundCoefficient(coefficient)});
        } catch (err) {
            if (fallback.signal?.aborted) throw err;
            skipped.push(`${displayText(v.vector)}: ${errorMessage(err)}`);
        }
    }
    return {state, loaded: state.entries.map((e) => e.name), skipped};
}

/**
 * A preset capturing the given steering: vectors from the vector folders are stored by name, others by path. With
 * the model's calibration, each strength is stored in σ as well, which is what a preset loaded on another model uses,
 * and the model (its SHA-256), on which the stored coefficients are applied as they are.
 */
export function presetFromSteering(name: string, state: SteeringState, extra: Pick<Preset, "description" | "systemPrompt" | "sampling" | "history" | "steer"> = {},
    {calibration}: {calibration?: ModelCalibration} = {}): Preset {
    return {
        name,
        ...stripUndefined(extra),
        ...(calibration != null ? {model: calibration.modelHash} : {}),
        vectors: state.entries.map((e) => {
            const sigma = calibration && sigmaOf(e.coefficient, e.vector, calibration, e.layers);
            return {
                vector: presetVectorRef(e.source),
                coefficient: e.coefficient,
                ...(sigma != null ? {sigma: Math.round(sigma * 1e4) / 1e4} : {}),
                ...(e.enabled ? {} : {enabled: false}),
                ...(e.layers ? {layers: layersToPair(e.layers)} : {})
            };
        })
    };
}

/**
 * How a preset refers to a vector file: by name when it lies in a vectors folder (so the preset travels), else by
 * absolute path (a relative one would depend on the folder steer-chat is started from).
 */
export function presetVectorRef(file: string): string {
    // a vector trained from a recipe lives in a per-model cache folder: by name, it is retrained for other models
    const trainedCache = path.dirname(path.dirname(path.resolve(file))) === path.resolve(trainedVectorsDir());
    return inVectorsFolder(file) || trainedCache ? vectorNameOf(file) : path.resolve(file);
}

/** whether a file lies in the user's or the shipped vectors folder, where a name finds it */
function inVectorsFolder(file: string): boolean {
    const dir = path.dirname(path.resolve(file));
    return vectorFolders().some((f) => path.resolve(f.dir) === dir);
}

/**
 * How a preset stores a condition's vector (--when, /when): a file in the user's or the shipped vectors folder by its
 * name, any other file by its absolute path (so the preset loads from any folder), a name as it is. Unlike a steering
 * vector's (presetVectorRef), a file in the trained cache keeps its path: the condition reader looks names up in
 * those two folders only, and would find another vector of that name, or none.
 */
export function presetConditionRef(ref: string): string {
    if (!looksLikePath(ref) || !existsSync(ref)) return ref;
    return inVectorsFolder(ref) ? vectorNameOf(ref) : path.resolve(ref);
}

/** The sampling a preset stores: the preset fields that differ from the defaults (undefined when none do). */
export function presetSampling(sampling: SamplingOptions): Preset["sampling"] {
    // a seed of undefined (random, the default) is not stored: the preset then leaves the seed as it finds it
    const stored = Object.fromEntries(PRESET_SAMPLING_KEYS
        .filter((key) => sampling[key] !== DEFAULT_SAMPLING[key]).map((key) => [key, sampling[key]]));
    return Object.keys(stored).length > 0 ? stored : undefined;
}

export function describePreset(preset: Preset): string {
    // as describeSnapshot writes steering, with a preset's strength in σ where it has one
    const vectors = preset.vectors.map((v) =>
        `${displayText(v.vector)} ${v.enabled === false ? "off" : describeStrength(v)}${v.layers ? ` ${formatLayers(pairToLayers(v.layers))}` : ""}`);
    return vectors.join(" · ") || "no vectors";
}

function describeStrength(v: PresetVector): string {
    if (v.sigma != null) return `${formatSigma(v.sigma)}${v.coefficient != null ? ` (${formatCoefficient(v.coefficient)} here)` : ""}`;
    return formatCoefficient(v.coefficient!);
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
    return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
