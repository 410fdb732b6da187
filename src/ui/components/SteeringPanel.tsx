import React from "react";
import {Box, Text} from "ink";
import {layerSpan} from "../../steering/controlVector.js";
import {formatCoefficient} from "../../steering/describe.js";
import {MAX_COEFFICIENT, type SteeringEntry, type SteeringState} from "../../steering/steeringState.js";
import {formatSigma} from "../../steering/strengthUnits.js";
import {displayWidth, fitToWidth} from "../graphemes.js";
import {readsLabel} from "../readoutView.js";

export const BAR_WIDTH = 21;

/** the bar in a terminal too narrow for the full one beside the names */
export const NARROW_BAR_WIDTH = 11;

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
    sigmaOf?: (entry: SteeringEntry) => number | undefined,
    /** the steering acts on the reply only (--steer reply, /steer reply): said in the title */
    replyOnly?: boolean,
    /** the rest of the policy: a schedule (first:N, from:N) and the gates (code off, when NAME>Z), escaped; said in the title */
    policy?: string,
    /** the terminal's width: long vector names get what the row leaves */
    columns?: number
};

/** the name column's width: 14, or the longest name when the row has room for it; a longer name ends in "…" */
export function nameWidth(names: readonly string[], room: number): number {
    const longest = Math.max(14, ...names.map((n) => displayWidth(n)));
    return Math.max(6, Math.min(longest, room));
}

/** `name` in a column of `width`: padded, or cut with an ellipsis */
export function fitName(name: string, width: number): string {
    return fitToWidth(name, width);
}

/** Each loaded vector: name, coefficient bar and number, on/off and layers; a marker when changes are staged. */
// memo: streamed text re-renders the app every flush; this only when its own props change
export const SteeringPanel = React.memo(function SteeringPanel(
    {state, pending, focused, selected, unavailable, reads, sigmaOf, replyOnly = false, policy, columns = 100}: SteeringPanelProps) {
    const max = barScale(state);
    const valueWidth = sigmaOf != null ? 14 : 6;
    // the row after the name: bar, value, on/off, layers and the read-out (the longest of each); the frame takes 4
    const tail = valueWidth + 1 + Math.max(0, ...state.entries.map((e) => 7 + layerLabel(e).length
        + (reads?.has(e.name) ? 2 + readsLabel(reads.get(e.name)).length : 0)));
    const roomWith = (bar: number) => columns - 4 - 2 - 1 - (bar + 2) - tail;
    // a narrow terminal gets a shorter bar before the names are cut short
    const bar = roomWith(BAR_WIDTH) < 10 ? NARROW_BAR_WIDTH : BAR_WIDTH;
    const names = nameWidth(state.entries.map((e) => e.name), roomWith(bar));
    return (
        <Box flexDirection="column" borderStyle="round" borderColor={focused ? "cyan" : "gray"} paddingX={1}>
            <Text bold={focused}>
                Steering{replyOnly ? <Text color="magenta"> (reply only)</Text> : null}{policy ? <Text color="magenta"> ({policy})</Text> : null}{pending ? <Text color="yellow"> ● staged for the next turn</Text> : null}
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
                        {isSelected ? "❯ " : "  "}{fitName(entry.name, names)} {coefficientBar(entry.coefficient, entry.range ? Math.max(Math.abs(entry.range.min), Math.abs(entry.range.max)) : max, bar)} {value.padStart(valueWidth)}
                        {entry.enabled ? "  on " : "  off"}  {layerLabel(entry)}{reads?.has(entry.name) ? `  ${readsLabel(reads.get(entry.name))}` : ""}
                    </Text>
                );
            })}
        </Box>
    );
});
