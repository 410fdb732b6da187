/**
 * The steering a reply was made with, as plain data, and the one way it is written on screen and in transcripts:
 * `happy +0.50 · formal off L3-7`. The panel, the status line, /steering, /sweep, presets and transcripts all use
 * these; layer ranges become [start, end] pairs only where a file is written (presets, transcript JSON).
 */
import type {LayerRange} from "./mixControlVectors.js";

/** One vector of a snapshot: what it is, how strong, on or off, on which layers. */
export type SnapshotEntry = {name: string, source: string, coefficient: number, enabled: boolean, layers?: LayerRange};

/** The steering at one moment (a SteeringState's entries are snapshot entries, with their vectors). */
export type SteeringSnapshot = readonly SnapshotEntry[];

/** Plain data for a state's entries: no vector data, so it can be kept with each reply and written to a file. */
export function snapshotOf(entries: readonly SnapshotEntry[]): SteeringSnapshot {
    return entries.map(({name, source, coefficient, enabled, layers}) =>
        ({name, source, coefficient, enabled, ...(layers ? {layers: {...layers}} : {})}));
}

/** A coefficient with its sign and two decimals: `+0.50`, `-1.25`. */
export function formatCoefficient(coefficient: number): string {
    return `${coefficient >= 0 ? "+" : ""}${coefficient.toFixed(2)}`;
}

/** `L3-7`, or "" for every layer. */
export function formatLayers(layers: LayerRange | undefined): string {
    return layers ? `L${layers.start}-${layers.end}` : "";
}

/** One vector, e.g. `happy +0.50`, `formal off L3-7`. */
export function describeEntry(e: SnapshotEntry): string {
    const layers = formatLayers(e.layers);
    return `${e.name} ${e.enabled ? formatCoefficient(e.coefficient) : "off"}${layers ? ` ${layers}` : ""}`;
}

/** A whole snapshot on one line; "no steering" when it is empty (or unknown). */
export function describeSnapshot(snapshot: SteeringSnapshot | undefined): string {
    if (snapshot == null || snapshot.length === 0) return "no steering";
    return snapshot.map(describeEntry).join(" · ");
}

/** A layer range as a file stores it. */
export const layersToPair = (layers: LayerRange): [number, number] => [layers.start, layers.end];
export const pairToLayers = ([start, end]: readonly [number, number]): LayerRange => ({start, end});
