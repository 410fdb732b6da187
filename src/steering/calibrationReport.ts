/**
 * What a calibration found, as text: the prompts and limits, the curve (strength against KL, repetition and the
 * read-out), and the limit each way. `steer-chat calibrate` prints it; the chat's /calibrate shows it. Pure.
 */
import type {AutoCalibration} from "./autoCalibrate.js";
import {curvePlot, type StrengthPoint} from "./strengthSearch.js";
import {formatSigma} from "./strengthUnits.js";

/** how calibration generates, unless told otherwise: greedy, seeded, 48 tokens a reply */
export const CALIBRATE_SAMPLING = {temperature: 0, seed: 0, maxTokens: 48} as const;

const signed = (x: number, digits = 2) => (Number.isFinite(x) ? `${x >= 0 ? "+" : ""}${x.toFixed(digits)}` : "n/a");

export function pointLine(p: StrengthPoint): string {
    return `${formatSigma(p.sigma, 3)} (coefficient ${signed(p.coefficient, 3)}): KL ${p.kl.toFixed(3)} · repetition ${(p.repetition * 100).toFixed(0)}% · ` +
        `perplexity ${Number.isFinite(p.perplexity) ? p.perplexity.toFixed(2) : "n/a"} · read-out z ${signed(p.score, 1)}`;
}

export function calibrationReport(result: AutoCalibration,
    {model, sampling, policy}: {model: string, sampling: {temperature: number, seed: number, maxTokens: number}, policy: string}): string {
    const limitLine = (label: string, r: AutoCalibration["positive"]) => {
        // stopped before the far end was measured: nothing is known that way
        if (r.stopped && r.failedAt == null) return `${label} not found (stopped before this side was searched)`;
        const coefficient = result.points.find((p) => p.sigma === r.limit)?.coefficient ?? 0;
        const past = r.failedAt == null ? "the whole range passed" : `past the limits at ${formatSigma(r.failedAt, 3)}`;
        return `${label} ${formatSigma(r.limit, 3)} = coefficient ${signed(coefficient, 3)} (${past}${r.stopped ? "; stopped before the search narrowed it down" : ""})`;
    };
    return [
        `${result.name} on ${model}: the strongest strength each way whose replies stay within the limits${result.stopped ? " (STOPPED: only what was found before the stop)" : ""}`,
        `prompts (${result.prompts.length}): ${result.prompts.map((p) => JSON.stringify(p)).join(", ")}`,
        `limits: mean KL per token <= ${result.limits.kl} nats, repeated 3-grams <= ${(Math.max(result.limits.repetition, result.baseline.repetition) * 100).toFixed(0)}%` +
            (result.baseline.repetition > result.limits.repetition ? " (the unsteered replies' own share)" : ""),
        `generation: temperature ${sampling.temperature}, seed ${sampling.seed}, ${sampling.maxTokens} tokens a reply, steering ${policy}` +
            ` · ${result.points.length} strengths in ${result.seconds.toFixed(1)} s${result.stopped ? " · STOPPED before the search finished" : ""}`,
        "",
        curvePlot(result.points, result.limits, result.baseline),
        "",
        limitLine("largest positive:", result.positive),
        limitLine("largest negative:", result.negative),
        ...(result.interrupted != null ? [`stopped during the probe at ${formatSigma(result.interrupted, 3)}: not counted`] : []),
        result.stopped ? "panel range: not set (the search was stopped; run it again to the end)"
            : `panel range: coefficient ${signed(result.coefficientRange.min, 3)} to ${signed(result.coefficientRange.max, 3)}`
    ].join("\n") + "\n";
}
