/**
 * What the steering controller needs of llama.cpp, and no more: the model's shape, a mix of the steering (the float32
 * sum llama.cpp would make), and putting a mix on the context (null clears it). The native bridge is one backend
 * (nativeSteeringBackend, for a live context); MemorySteeringBackend is another, which records what it was asked to
 * apply, so the controller, the session and the panel run in tests without a model.
 */
import type {ScaleAddKernel} from "../native/loader.js";
import {mixControlVectors, scaleAddJs, type MixEntry, type MixedControlVector} from "./mixControlVectors.js";
import type {ModelShape} from "./steeringState.js";

export type SteeringBackend = {
    readonly shape: ModelShape,
    /** the steering's mix (null: nothing to apply); throws a SteeringOverflowError when the sum overflows float32 */
    mix(entries: readonly MixEntry[]): MixedControlVector | null,
    /** puts a mix on the model, or clears its control vector with null */
    apply(mix: MixedControlVector | null): void
};

/** A backend over a mixing kernel and an apply function (the native bridge's, or a recorder's). */
export function steeringBackend(shape: ModelShape, apply: (mix: MixedControlVector | null) => void,
    scaleAdd: ScaleAddKernel = scaleAddJs): SteeringBackend {
    return {shape, mix: (entries) => mixControlVectors(entries, shape, scaleAdd), apply};
}

/**
 * A backend with no model: it mixes as llama.cpp would (the JS kernel, same bits as the native one) and records each
 * mix it made and each one it was asked to apply, so a test can tell which mix reached "the model" and how often the
 * steering was mixed.
 */
export class MemorySteeringBackend implements SteeringBackend {
    /** every mix made, in order (null: nothing to apply) */
    readonly mixes: (MixedControlVector | null)[] = [];
    /** every mix applied, in order (null: the control vector cleared) */
    readonly applied: (MixedControlVector | null)[] = [];

    constructor(readonly shape: ModelShape) {}

    mix(entries: readonly MixEntry[]): MixedControlVector | null {
        const mix = mixControlVectors(entries, this.shape);
        this.mixes.push(mix);
        return mix;
    }

    apply(mix: MixedControlVector | null) {
        this.applied.push(mix);
    }

    /** what the model runs with now: the last mix applied (null before any, or once cleared) */
    get current(): MixedControlVector | null {
        return this.applied.at(-1) ?? null;
    }
}
