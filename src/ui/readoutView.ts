/**
 * Text layouts for the read-out (pure): the panel's small signed meter ("reads +1.3") and /readout's per-layer table
 * and per-token heat map, where each token is underlined with a shade for how much of the concept it carried.
 */
import type {ReplyReadout, VectorReadout} from "../steering/replyReadout.js";
import {displayWidth} from "./graphemes.js";

const signed = (z: number, digits = 1) => (Number.isFinite(z) ? `${z >= 0 ? "+" : ""}${z.toFixed(digits)}` : "n/a");

/** vector name → z of a reply's read-out, for the panel */
export function readsOf(readout: ReplyReadout | undefined): ReadonlyMap<string, number> | undefined {
    return readout && new Map(readout.vectors.map((v) => [v.name, v.z]));
}

/** "reads +1.3", for the panel beside each vector */
export function readsLabel(z: number | undefined): string {
    return z == null ? "" : `reads ${signed(z)}`;
}

/** The shade under a token: blank near zero, ░▒▓█ for rising positive z, · for clearly negative. */
export function shadeOf(z: number): string {
    if (!Number.isFinite(z)) return " ";
    if (z <= -1) return "·";
    if (z < 0.5) return " ";
    if (z < 1) return "░";
    if (z < 2) return "▒";
    if (z < 3) return "▓";
    return "█";
}

/** `-2 ░ ▒ ▓ █ +3`: a signed bar of the z-score, one cell per half unit, centred on 0. */
export function zBar(z: number, half = 6): string {
    const cells = Number.isFinite(z) ? Math.min(half, Math.round(Math.abs(z) * 2)) : 0;
    const left = " ".repeat(half - (z < 0 ? cells : 0)) + (z < 0 ? "█".repeat(cells) : "");
    const right = (z > 0 ? "█".repeat(cells) : "") + " ".repeat(half - (z > 0 ? cells : 0));
    return `${left}│${right}`;
}

/** The reply's tokens on one line and their shades on the line below, wrapped at `columns`. */
export function heatMap(tokenTexts: readonly string[], tokenZ: readonly number[], columns: number): string[] {
    const lines: string[] = [];
    let text = "";
    let shade = "";
    let used = 0;
    const flush = () => {
        if (text.trim() !== "") lines.push(text.trimEnd(), shade.trimEnd());
        text = "";
        shade = "";
        used = 0;
    };
    tokenTexts.forEach((raw, i) => {
        for (const [j, part] of raw.split("\n").entries()) {
            if (j > 0) flush();
            // by display width, so each token's shade sits under its columns (a CJK token takes two)
            const width = displayWidth(part);
            if (used + width > columns && text !== "") flush();
            text += part;
            used += width;
            shade += shadeOf(tokenZ[i]!).repeat(width);
        }
    });
    flush();
    return lines;
}

function vectorReport(v: VectorReadout, tokenTexts: readonly string[], columns: number): string[] {
    return [
        `${v.name} reads ${signed(v.z, 2)} (z against a neutral text; mean over the reply and layers ${v.layers.map((l) => l.layer).join(", ")})`,
        ...v.layers.map((l) => `  L${String(l.layer).padEnd(3)} ${signed(l.z, 2).padStart(6)}  ${zBar(l.z)}`),
        ...heatMap(tokenTexts, v.tokenZ, columns).map((line) => `  ${line}`)
    ];
}

/** /readout: for each vector, its read-out per layer and which words carried it. */
export function readoutReport(readout: ReplyReadout, columns = 100): string {
    return [
        `Read-out of the last reply (${readout.tokenTexts.length} tokens, unsteered, in ${readout.seconds.toFixed(2)} s): ` +
            "░▒▓█ z ≥ 0.5/1/2/3, · z ≤ −1",
        ...readout.vectors.flatMap((v) => vectorReport(v, readout.tokenTexts, Math.max(20, columns - 4)))
    ].join("\n");
}
