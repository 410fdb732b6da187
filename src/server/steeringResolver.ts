/**
 * A request's `steering` field made into the steering the model runs with. Vectors are looked up by name only, in
 * the vector folders (the user's, the ones trained for this model, the shipped ones: vectorLibrary's one rule), and
 * presets by name in the preset store; a request never names a file. Nothing is trained on a request: a recipe
 * vector is used when it was trained for this model before (steer-chat train, the chat, --vector at start-up).
 *
 * Resolving comes in two steps: `plan` before the request waits in the queue (reads the files, so an unknown name
 * is a 400 at once), `resolve` when its turn comes (a strength in σ needs the model's calibration, which is measured
 * on the first use and must not compute beside a running request).
 */
import {statSync} from "node:fs";
import {UserFacingError} from "../errors.js";
import type {SteeringController} from "../steering/steeringController.js";
import {fitLayerRange, roundCoefficient, SteeringState, type SteeringEntry} from "../steering/steeringState.js";
import {findVectorFile} from "../steering/vectorLibrary.js";
import {resolveSigma} from "../steering/calibration.js";
import {describeSnapshot, layersToPair, pairToLayers} from "../steering/describe.js";
import type {ModelCalibration} from "../steering/strengthUnits.js";
import type {LayerRange} from "../steering/mixControlVectors.js";
import type {SteerPolicy} from "../steering/steerPolicy.js";
import type {PresetStore} from "../presets/presetStore.js";
import type {Preset} from "../presets/presetSchema.js";
import {BadRequestError} from "./apiErrors.js";
import type {SteeringSpec} from "./schemas.js";

/** what a preset brings beside its vectors: settings a request leaves out are taken from it */
export type PresetSettings = Pick<Preset, "name" | "systemPrompt" | "sampling" | "steer">;

/** `savedOn`: a preset's model (its SHA-256), on which its stored coefficient applies as it is, not its σ */
type PlannedVector = {entry: SteeringEntry, coefficient: number, sigma?: number, layers?: LayerRange, savedOn?: string};

/** a steering with its files read, waiting for its σ strengths to be resolved */
export type SteeringPlan = {vectors: PlannedVector[], policy?: SteerPolicy, preset?: PresetSettings};

/** the steering a request runs with */
export type ResolvedSteering = {
    state: SteeringState,
    /** the policy the steering gave itself (the field's, or its preset's); else the server's */
    policy?: SteerPolicy,
    preset?: PresetSettings,
    /** the strength in σ each vector was asked for, by position */
    sigmas: (number | undefined)[]
};

/** how a response says which steering it was made with (also the body of GET /v1/steering) */
export type SteeringView = {
    vectors: {name: string, coefficient: number, sigma?: number, layers?: [number, number], enabled?: false}[],
    policy: SteerPolicy,
    preset?: string,
    /** one line, as the chat writes it: `sue +0.80 · tim off` or `no steering` */
    description: string,
    /** from the request's field, or the server's default (flags, --preset, POST /v1/steering) */
    source: "request" | "default"
};

/** vector files read, kept while the file is unchanged */
const CACHE_LIMIT = 64;

export class SteeringResolver {
    private readonly vectors = new Map<string, {stamp: string, entry: Promise<SteeringEntry>}>();

    constructor(private readonly controller: SteeringController, private readonly presets: PresetStore | undefined,
        private readonly calibration: () => Promise<ModelCalibration>) {}

    /** Reads the vectors (and the preset) a steering names; a 400 for a name that is not there or does not fit. */
    async plan(spec: SteeringSpec): Promise<SteeringPlan> {
        if (spec === false) return {vectors: [], policy: "all"};
        if (spec.preset != null && spec.vectors != null)
            throw new BadRequestError("steering takes vectors or a preset, not both", {param: "steering"});
        if (spec.preset != null) return {...await this.planPreset(spec.preset), ...spec.policy != null ? {policy: spec.policy} : {}};
        const vectors: PlannedVector[] = [];
        for (const [i, v] of (spec.vectors ?? []).entries()) {
            const param = `steering.vectors[${i}]`;
            if (v.coefficient != null && v.sigma != null)
                throw new BadRequestError(`${param} gives both a coefficient and a sigma: give one`, {param});
            if (/\.gguf$/i.test(v.name) || v.name.includes(".."))
                throw new BadRequestError(`${param}.name must be a vector's name, without .gguf (GET /v1/steering/vectors lists them)`, {param: `${param}.name`});
            const entry = await this.vector(v.name);
            vectors.push({entry, coefficient: v.coefficient ?? (v.sigma != null ? 0 : 1), sigma: v.sigma,
                layers: v.layers && this.layers(pairToLayers(v.layers), `${param}.layers`)});
        }
        return {vectors, ...spec.policy != null ? {policy: spec.policy} : {}};
    }

    /** The steering itself: σ strengths turned into this model's coefficients (the calibration, once per model). */
    async resolve(plan: SteeringPlan): Promise<ResolvedSteering> {
        const calibration = plan.vectors.some((v) => v.sigma != null) ? await this.calibration() : undefined;
        let state = new SteeringState();
        for (const v of plan.vectors) {
            // a preset on the model it was saved on: the coefficient it stores (σ and back would move it), as the chat does
            const coefficient = v.sigma != null && !(v.savedOn != null && calibration!.modelHash === v.savedOn)
                ? resolveSigma(v.sigma, v.entry.name, v.entry.vector, calibration!, v.layers) : v.coefficient;
            state = state.add({...v.entry, coefficient: roundCoefficient(coefficient), layers: v.layers});
        }
        return {state, policy: plan.policy, sigmas: plan.vectors.map((v) => v.sigma),
            ...plan.preset ? {preset: plan.preset} : {}};
    }

    /** The steering the server was started with (flags, --preset), as the controller has it staged. */
    fromController(policy: SteerPolicy | undefined, preset?: PresetSettings): ResolvedSteering {
        const state = this.controller.state;
        return {state, policy, sigmas: state.entries.map(() => undefined), ...preset ? {preset} : {}};
    }

    private async planPreset(name: string): Promise<SteeringPlan> {
        if (this.presets == null) throw new BadRequestError("Presets are unavailable on this server", {param: "steering.preset"});
        let preset: Preset;
        try {
            preset = this.presets.get(name).preset;
        } catch (err) {
            if (!(err instanceof UserFacingError)) throw err;
            throw new BadRequestError(`No preset named "${name}"`, {code: "preset_not_found", param: "steering.preset"});
        }
        const vectors: PlannedVector[] = [];
        for (const v of preset.vectors) {
            try {
                // a preset is the server's own configuration: it may name a file of the server's
                const entry = await this.vector(v.vector);
                const layers = v.layers && this.layers(pairToLayers(v.layers), "steering.preset");
                vectors.push({entry: {...entry, enabled: v.enabled ?? true}, coefficient: v.coefficient ?? 0,
                    ...v.sigma != null ? {sigma: v.sigma} : {}, layers,
                    ...v.coefficient != null && preset.model != null ? {savedOn: preset.model} : {}});
            } catch (err) {
                if (!(err instanceof UserFacingError)) throw err;
                throw new BadRequestError(`The preset "${name}" cannot be used on this model: ${v.vector}: ${err.message}`,
                    {code: "preset_unusable", param: "steering.preset"});
            }
        }
        const settings: PresetSettings = {name: preset.name, systemPrompt: preset.systemPrompt, sampling: preset.sampling,
            steer: preset.steer};
        return {vectors, ...preset.steer != null ? {policy: preset.steer} : {}, preset: settings};
    }

    private layers(range: LayerRange, param: string): LayerRange {
        try {
            return fitLayerRange(range, this.controller.shape).range;
        } catch (err) {
            if (!(err instanceof UserFacingError)) throw err;
            throw new BadRequestError(`${param}: ${err.toLine()}`, {param});
        }
    }

    /** A vector by name (or, from a preset, by path), read once while its file is unchanged. */
    private async vector(ref: string): Promise<SteeringEntry> {
        const file = findVectorFile(ref, this.controller.trainedDir);
        const stats = statSync(file, {throwIfNoEntry: false});
        const stamp = `${stats?.size}:${stats?.mtimeMs}`;
        const cached = this.vectors.get(file);
        if (cached != null && cached.stamp === stamp) return cached.entry;
        const entry = this.controller.loadEntry(file, 0);
        this.vectors.delete(file);
        if (this.vectors.size >= CACHE_LIMIT) this.vectors.delete(this.vectors.keys().next().value!);
        this.vectors.set(file, {stamp, entry});
        entry.catch(() => { if (this.vectors.get(file)?.entry === entry) this.vectors.delete(file); });
        return entry;
    }
}

/** How a response names its steering: the vectors with their coefficients (and σ where one was asked for). */
export function steeringView(steering: ResolvedSteering, policy: SteerPolicy, source: SteeringView["source"]): SteeringView {
    return {
        vectors: steering.state.entries.map((e, i) => ({
            name: e.name, coefficient: e.coefficient,
            ...steering.sigmas[i] != null ? {sigma: steering.sigmas[i]} : {},
            ...e.layers ? {layers: layersToPair(e.layers)} : {},
            ...e.enabled ? {} : {enabled: false as const}
        })),
        policy,
        ...steering.preset ? {preset: steering.preset.name} : {},
        description: describeSnapshot(steering.state.entries),
        source
    };
}
