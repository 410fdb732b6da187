/**
 * `/vector new NAME "DESCRIPTION"`: a vector trained for the loaded model from a sentence (training/describedVectors.ts;
 * cached per model, so the same description again loads at once), staged under NAME for the next turn at
 * NEW_VECTOR_SIGMA, a mild strength in the model's own units (a raw coefficient means nothing from one model to the
 * next; without a calibration it is staged at coefficient 1). A row already named NAME gets the new vector in its
 * place, at that strength: re-describing a vector replaces it rather than stacking a second one.
 */
import {displayQuoted} from "../displayText.js";
import {UserFacingError} from "../errors.js";
import {resolveSigma} from "../steering/calibration.js";
import type {SteeringController} from "../steering/steeringController.js";
import {roundCoefficient, SteeringState} from "../steering/steeringState.js";
import {formatSigma, type ModelCalibration} from "../steering/strengthUnits.js";
import {describeQuality, qualityWarning} from "../steering/vectorQuality.js";
import {checkDescription, type DescribedTrainer} from "../training/describedVectors.js";

/**
 * The strength a new vector is staged at: on the demo model a vector at 0.1σ nudges the text (KL about 0.1 nats)
 * and stays coherent, where 0.25σ already breaks it (README, "Strength in σ"); → raises it from there.
 */
export const NEW_VECTOR_SIGMA = 0.1;

/** a vector's name: what /vector set, /vector rm and presets call it (as a preset name: letters, digits, . _ -) */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkVectorName(name: string): string {
    if (!NAME.test(name))
        throw new UserFacingError(`Invalid vector name ${displayQuoted(name)}`, "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
    return name;
}

export type StageDescribedOptions = {
    name: string,
    description: string,
    calibration: () => Promise<ModelCalibration | undefined>,
    signal?: AbortSignal,
    onProgress?: (done: number, total: number) => void
};

/** Trains (or takes from the cache) the description's vector and stages it; returns what to say, the warnings apart. */
export async function stageDescribedVector(steering: SteeringController, train: DescribedTrainer,
    {name, description: text, calibration, signal, onProgress}: StageDescribedOptions): Promise<{lines: string[], error?: boolean}[]> {
    checkVectorName(name);
    const description = checkDescription(text);
    const started = performance.now();
    const result = await train(description, {signal, onProgress});
    const loaded = {...await steering.loadEntry(result.file, 0), name};
    const calibrated = await calibration().catch(() => undefined);
    let coefficient = 1;
    let strength = "coefficient +1.00 (no calibration for a strength in σ)";
    if (calibrated != null) {
        try {
            coefficient = roundCoefficient(resolveSigma(NEW_VECTOR_SIGMA, name, loaded.vector, calibrated));
            strength = formatSigma(NEW_VECTOR_SIGMA);
        } catch { /* no calibrated layer: the raw coefficient */ }
    }
    const entry = {...loaded, coefficient};
    const replaced = steering.state.has(name);
    const state = steering.update((s) => (replaced
        ? new SteeringState(s.entries.map((e) => (e.name === name ? {...entry, layers: e.layers} : e)))
        : s.add(entry)));
    const how = result.trained != null
        ? `Trained ${name} for ${displayQuoted(description, 200)} in ${((performance.now() - started) / 1000).toFixed(1)} s`
        : `${name} for ${displayQuoted(description, 200)} from the cache (trained for this model before)`;
    const {quality} = result.vector;
    const weak = qualityWarning(name, quality);
    return [{lines: [
        `${how}; ${replaced ? "replaced its vector" : "added"} at ${strength} — from the next turn: ${state.describe()}`,
        ...quality ? [`  ${describeQuality(quality)}`] : [],
        ...entry.warnings ?? []
    ]}, ...weak ? [{lines: [weak], error: true}] : []];
}
