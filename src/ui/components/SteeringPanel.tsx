import React from "react";
import {Box, Text} from "ink";
import {layerSpan} from "../../steering/controlVector.js";
import {formatCoefficient} from "../../steering/describe.js";
import {MAX_COEFFICIENT, type SteeringEntry, type SteeringState} from "../../steering/steeringState.js";
import {formatSigma} from "../../steering/strengthUnits.js";
import {readsLabel} from "../readoutView.js";

export const BAR_WIDTH = 21;

/** `[────────┼███───────]`: the coefficient as a bar from −max to +max, centred on 0. */
export function coefficientBar(coefficient: number, max: number, width = BAR_WIDTH): string {
    const half = Math.floor(width / 2);
    const cells = Math.round(Math.min(1, Math.abs(coefficient) / max) * half);
    const chars = Array.from<unknown, string>({length: width}, (_, i) => (i === half ? "┼" : "─"));
    for (let i = 1; i <= cells; i++) chars[coefficient > 0 ? half + i : half - i] = "█";
    return `[${chars.join("")}]`;
}

/** The scale the bars use: at least ±2, widened to fit the largest coefficient, at most the coefficient bound. */
export function barScale(state: SteeringState) {
    let max = 2;
    for (const e of state.entries) max = Math.max(max, Math.ceil(Math.abs(e.coefficient)));
    return Math.min(max, MAX_COEFFICIENT);
}

/** `L3-7` for a range set with /layers; `all L1-23` when every layer the file has a direction for is used. */
export function layerLabel(entry: Pick<SteeringState["entries"][number], "layers" | "vector">): string {
    if (entry.layers) return `L${entry.layers.start}-${entry.layers.end}`;
    const span = layerSpan(entry.vector);
    return span == null ? "all" : `all L${span.first}-${span.last}`;
}

export type SteeringPanelProps = {
    state: SteeringState,
    /** changes wait for the next turn */
    pending: boolean,
    focused: boolean,
    selected: number,
    unavailable?: string,
    /** what each vector read on the last reply (z), by name */
    reads?: ReadonlyMap<string, number>,
    /** each vector's strength in σ, once the model's calibration is loaded */
    sigmaOf?: (entry: SteeringEntry) => number | undefined
};

/** Each loaded vector: name, coefficient bar and number, on/off and layers; a marker when changes are staged. */
// memo: streamed text re-renders the app every flush; this only when its own props change
export const SteeringPanel = React.memo(function SteeringPanel(
    {state, pending, focused, selected, unavailable, reads, sigmaOf}: SteeringPanelProps) {
    const max = barScale(state);
    return (
        <Box flexDirection="column" borderStyle="round" borderColor={focused ? "cyan" : "gray"} paddingX={1}>
            <Text bold={focused}>
                Steering{pending ? <Text color="yellow"> ● staged for the next turn</Text> : null}
                <Text dimColor>{focused ? "  ↑↓ select · ←→ ±0.1 (Shift ×5) · Space on/off · 0 zero · a add · d remove · Tab back" : "  Tab to adjust"}</Text>
            </Text>
            {unavailable != null && <Text color="yellow">{unavailable}</Text>}
            {unavailable == null && state.entries.length === 0
                && <Text dimColor>no vectors — press a (in the panel) or /vector add NAME</Text>}
            {state.entries.map((entry, i) => {
                const isSelected = focused && i === selected;
                const sigma = sigmaOf?.(entry);
                const value = formatCoefficient(entry.coefficient) + (sigma != null ? ` ${formatSigma(sigma)}` : "");
                return (
                    <Text key={entry.name} color={isSelected ? "cyan" : undefined} dimColor={!entry.enabled && !isSelected}>
                        {isSelected ? "❯ " : "  "}{entry.name.padEnd(14).slice(0, 14)} {coefficientBar(entry.coefficient, entry.range ? Math.max(Math.abs(entry.range.min), Math.abs(entry.range.max)) : max)} {value.padStart(sigmaOf != null ? 14 : 6)}
                        {entry.enabled ? "  on " : "  off"}  {layerLabel(entry)}{reads?.has(entry.name) ? `  ${readsLabel(reads.get(entry.name))}` : ""}
                    </Text>
                );
            })}
        </Box>
    );
});
