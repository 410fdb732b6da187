/**
 * The steering a person has set up: which vectors are loaded, each with a coefficient, an on/off switch and an
 * optional layer range. Immutable (every change returns a new state) so the UI can render it and each reply can
 * record the steering it was made with. Pure: no llama.cpp.
 */
import path from "node:path";
import {UserFacingError, VectorMismatchError, VectorNotLoadedError} from "../errors.js";
import type {ControlVector} from "./controlVector.js";
import {shownModelHint} from "./controlVector.js";
import {describeSnapshot} from "./describe.js";
import {checkCoefficient} from "./inputGrammar.js";

/** the bound on coefficients (inputGrammar's), also here for the panel that shows the state */
export {MAX_COEFFICIENT} from "./inputGrammar.js";
import {steerableLayers, type LayerRange} from "./mixControlVectors.js";

export type SteeringEntry = {
    /** short name used in commands (file name without .gguf) */
    name: string,
    /** where the vector came from (a file path) */
    source: string,
    vector: ControlVector,
    coefficient: number,
    enabled: boolean,
    layers?: LayerRange,
    /** one-line notes from loading it: what the file needed (F16, another architecture) and what the model ignores */
    warnings?: readonly string[],
    /** its layers this model does not have (llama.cpp ignores them too) */
    ignoredLayers?: readonly number[],
    /** the panel's range for it, raw coefficients (set by /calibrate); the arrows stop there */
    range?: {min: number, max: number}
};

export type ModelShape = {nEmbd: number, nLayer: number};

/**
 * A coefficient to six decimals: float noise from repeated steps (0.1 + 0.2 …) or from a strength in σ rounded away,
 * so displays, presets and signatures stay clean.
 */
export const roundCoefficient = (coefficient: number) => Math.round(coefficient * 1e6) / 1e6;

export class SteeringState {
    constructor(readonly entries: readonly SteeringEntry[] = []) {}

    get(name: string): SteeringEntry {
        const entry = this.entries.find((e) => e.name === name);
        if (entry == null)
            throw new VectorNotLoadedError(name, this.entries.map((e) => e.name));
        return entry;
    }

    has(name: string) {
        return this.entries.some((e) => e.name === name);
    }

    /** The entry loaded from this file, if any (the first, when it was given more than once). */
    loadedFrom(source: string): SteeringEntry | undefined {
        return this.entries.find((e) => path.resolve(e.source) === path.resolve(source));
    }

    /**
     * Adds a vector as a row of its own, as llama.cpp adds every --control-vector: the same file twice is summed, and
     * two files with one name are both kept. A name already taken gets a number (x, x-2, x-3 …).
     */
    add(entry: SteeringEntry): SteeringState {
        checkCoefficient(entry.coefficient, entry.name);
        let name = entry.name;
        for (let n = 2; this.has(name); n++) name = `${entry.name}-${n}`;
        return new SteeringState([...this.entries, {...entry, name}]);
    }

    remove(name: string): SteeringState {
        this.get(name);
        return new SteeringState(this.entries.filter((e) => e.name !== name));
    }

    setCoefficient(name: string, coefficient: number): SteeringState {
        checkCoefficient(coefficient, name);
        return this.update(name, (e) => ({...e, coefficient: roundCoefficient(coefficient)}));
    }

    setEnabled(name: string, enabled: boolean): SteeringState {
        return this.update(name, (e) => ({...e, enabled}));
    }

    setLayers(name: string, layers: LayerRange | undefined): SteeringState {
        return this.update(name, (e) => ({...e, layers}));
    }

    /** The panel's range for a vector (not part of the steering: the signature ignores it). */
    setRange(name: string, range: {min: number, max: number} | undefined): SteeringState {
        return this.update(name, (e) => ({...e, range}));
    }

    allOff(): SteeringState {
        return new SteeringState(this.entries.map((e) => ({...e, enabled: false})));
    }

    /**
     * A key that changes exactly when the model's steering would change. The order of the vectors is left out: the
     * same vectors in another order are the same steering (their sum differs at most in float32 rounding).
     */
    signature(): string {
        return JSON.stringify(this.entries.filter((e) => e.enabled && e.coefficient !== 0)
            .map((e) => JSON.stringify([path.resolve(e.source), e.coefficient, e.layers?.start ?? null, e.layers?.end ?? null])).sort());
    }

    isNeutral(): boolean {
        return this.signature() === "[]";
    }

    /** One line for status displays and transcripts, e.g. `happy +0.50 · formal off`. */
    describe(): string {
        return describeSnapshot(this.entries);
    }

    private update(name: string, change: (entry: SteeringEntry) => SteeringEntry): SteeringState {
        this.get(name);
        return new SteeringState(this.entries.map((e) => (e.name === name ? change(e) : e)));
    }
}


/** "5-7", "2, 5-7": layer numbers as short ranges */
export function describeLayers(layers: readonly number[]): string {
    const sorted = [...layers].sort((a, b) => a - b);
    const parts: string[] = [];
    for (let i = 0; i < sorted.length; i++) {
        let j = i;
        while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
        parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
        i = j;
    }
    return parts.join(", ");
}

/**
 * Checks a vector fits the loaded model; throws one clear line naming the vector when its n_embd differs. Its
 * directions for layers the model does not have are ignored, as llama.cpp ignores them, with a warning.
 */
export function fitVectorToModel(name: string, source: string, vector: ControlVector,
    shape: ModelShape): {ignoredLayers: number[], warnings: string[]} {
    if (vector.nEmbd !== shape.nEmbd)
        throw new VectorMismatchError(name, source, vector.nEmbd, shape.nEmbd, vector.modelHint && shownModelHint(vector.modelHint));
    const warnings = (vector.warnings ?? []).map((w) => `${name}: ${w}`);
    // llama.cpp steers layers 1..n_layer-1 (it has no control-vector tensor for the others)
    const ignoredLayers = [...vector.directions.keys()].filter((layer) => layer > shape.nLayer - 1);
    if (ignoredLayers.length > 0)
        warnings.push(`${name}: directions ${describeLayers(ignoredLayers)} are beyond this model's layers and are ignored` +
            (ignoredLayers.length === vector.directions.size ? " (so it has no effect on this model)" : ""));
    return {ignoredLayers, warnings};
}

/** Checks `range` lies within the model's steerable layers (1..n_layer-1); `what` names the use in the message. */
export function checkLayerRange(range: LayerRange, shape: ModelShape, what = "") {
    const steerable = steerableLayers(shape.nLayer);
    if (!Number.isInteger(range.start) || !Number.isInteger(range.end) || range.start < steerable.start || range.end < range.start
        || range.end > steerable.end)
        throw new UserFacingError(`Invalid layer range ${range.start}-${range.end}${what}`,
            `use START-END within ${steerable.start}-${steerable.end}, this model's steerable layers (llama.cpp never steers layer 0)`);
}

/**
 * A layer range as llama.cpp's --control-vector-layer-range takes it: a start of 0 means layer 1 (llama.cpp never
 * steers layer 0), said in the warning. Anything else outside the steerable layers is refused in one line.
 */
export function fitLayerRange(range: LayerRange, shape: ModelShape): {range: LayerRange, warning?: string} {
    if (range.start !== 0) {
        checkLayerRange(range, shape);
        return {range};
    }
    const fitted = {...range, start: 1};
    checkLayerRange(fitted, shape, ` (${range.start}-${range.end}, from layer 1)`);
    return {range: fitted, warning: `layer 0 is never steered (llama.cpp starts at layer 1): using layers ${fitted.start}-${fitted.end}`};
}
