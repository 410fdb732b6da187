/**
 * The search behind auto-calibration (pure: the probe that generates and measures is passed in, so the bisection is
 * tested with made-up curves). For each sign it looks for the largest strength in σ whose measures stay within the
 * limits: it probes the far end of the range, and when that fails bisects between the last strength that passed
 * (0, the unsteered model, to begin with) and the first that failed. A measure that is not monotone in the strength
 * still gives a true crossing: the limit passed, the strength just past it failed.
 */

/** What one strength did to the held-out replies (means over the prompts). */
export type StrengthPoint = {
    sigma: number,
    coefficient: number,
    /** mean KL(steered ‖ unsteered) per token, nats */
    kl: number,
    /** repeated n-gram share */
    repetition: number,
    /** perplexity under the unsteered model */
    perplexity: number,
    /** the read-out z of the replies on the vector (how much of the concept they carry), NaN when not read */
    score: number,
    /** the replies, in prompt order */
    texts: string[]
};

export type StrengthLimits = {
    /** the largest mean KL per token allowed, nats */
    kl: number,
    /** the largest repeated n-gram share allowed (the unsteered model's own share when that is larger) */
    repetition: number
};

export const DEFAULT_LIMITS: StrengthLimits = {kl: 1, repetition: 0.3};

/** Whether a point stays within the limits; `baseline` is the unsteered point (its repetition raises that limit). */
export function withinLimits(point: Pick<StrengthPoint, "kl" | "repetition">, limits: StrengthLimits, baseline?: Pick<StrengthPoint, "repetition">): boolean {
    return point.kl <= limits.kl && point.repetition <= Math.max(limits.repetition, baseline?.repetition ?? 0);
}

export type SearchResult = {
    /** the largest strength found within the limits (0 when even the smallest probed failed), signed */
    limit: number,
    /**
     * the smallest strength found past the limits, signed (undefined when the whole range passed, or when stopped
     * before the far end was measured)
     */
    failedAt?: number,
    /** stopped by the signal before the search finished */
    stopped: boolean
};

export type SearchOptions = {
    /** +1 or −1: which way to search */
    sign: 1 | -1,
    /** the far end of the range, in σ (> 0) */
    maxSigma: number,
    /** bisection steps after the far end failed: the limit is found within maxSigma / 2^steps */
    steps: number,
    signal?: AbortSignal
};

/** Bisects for the largest |σ| ≤ maxSigma with `ok(probe(σ))`, σ of the given sign; 0 is taken to pass. */
export async function searchLimit<P extends {sigma: number}>(probe: (sigma: number) => Promise<P>, ok: (point: P) => boolean,
    {sign, maxSigma, steps, signal}: SearchOptions): Promise<SearchResult> {
    if (!(maxSigma > 0)) throw new Error("the range must be > 0");
    if (signal?.aborted) return {limit: 0, stopped: true};
    const far = sign * maxSigma;
    // a probe the signal cut short measured part of its replies: it is not counted either way
    const farPoint = await probe(far);
    if (signal?.aborted) return {limit: 0, stopped: true};
    if (ok(farPoint)) return {limit: far, stopped: false};
    let passed = 0;
    let failed = far;
    for (let i = 0; i < steps; i++) {
        if (signal?.aborted) return {limit: passed, failedAt: failed, stopped: true};
        const mid = roundSigma((passed + failed) / 2);
        if (mid === passed || mid === failed) break;
        const point = await probe(mid);
        if (signal?.aborted) return {limit: passed, failedAt: failed, stopped: true};
        if (ok(point)) passed = mid;
        else failed = mid;
    }
    return {limit: passed, failedAt: failed, stopped: false};
}

/** σ to 6 decimals, so printed and probed strengths agree */
export function roundSigma(sigma: number): number {
    return Math.round(sigma * 1e6) / 1e6;
}

const BAR = 24;

function bar(value: number, max: number): string {
    const filled = max > 0 && Number.isFinite(value) ? Math.max(0, Math.min(BAR, Math.round((value / max) * BAR))) : 0;
    return "█".repeat(filled) + "·".repeat(BAR - filled);
}

const signed = (x: number, digits = 2) => (Number.isFinite(x) ? `${x >= 0 ? "+" : ""}${x.toFixed(digits)}` : "  n/a");

/**
 * The curve as a small text plot: one row per strength probed, in order, with bars for KL (the │ in the bar is the
 * KL limit, the full bar twice it) and repetition (full bar: 100 %), the read-out score, and ✗ on rows past the limits.
 */
export function curvePlot(points: readonly StrengthPoint[], limits: StrengthLimits, baseline?: StrengthPoint): string {
    const sorted = [...points].sort((a, b) => a.sigma - b.sigma);
    const rows = sorted.map((p) => {
        const klBar = [...bar(p.kl, limits.kl * 2)];
        klBar[BAR / 2] = "│";
        const mark = withinLimits(p, limits, baseline) ? " " : "✗";
        return `${signed(p.sigma, 3).padStart(7)}σ ${signed(p.coefficient, 3).padStart(8)}  ${p.kl.toFixed(2).padStart(5)} ${klBar.join("")}` +
            `  ${(p.repetition * 100).toFixed(0).padStart(3)}% ${bar(p.repetition, 1).slice(0, 12)}  ${signed(p.score, 1).padStart(5)} ${mark}`;
    });
    return [`${"σ".padStart(8)} ${"coeff".padStart(8)}  ${"KL".padStart(5)} ${`per token, │ = limit ${limits.kl}`.padEnd(BAR)}  repetition${" ".repeat(8)}z`, ...rows].join("\n");
}
