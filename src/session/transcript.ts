/**
 * Text layouts for the chat: the transcript as Markdown or JSON (each turn with its steering), /compare's two
 * columns and /sweep's table. Pure.
 */
import type {HistoryRecord, Reply, ReplyTiming} from "../engine/conversation.js";
import {describeSampling, type SamplingOptions} from "../engine/sampling.js";
import {describeGauge} from "../steering/coherence.js";
import {describeDecision} from "../steering/conditionGate.js";
import {describeSnapshot, formatCoefficient, layersToPair, type SteeringSnapshot} from "../steering/describe.js";
import {describeSteerPolicy, type SteerPolicy} from "../steering/steerPolicy.js";
import type {ReplyEntry, ReplyStats, TranscriptEntry} from "./turnLog.js";

/** A snapshot as the transcript file stores it: layer ranges as [start, end]. */
function steeringJson(snapshot: SteeringSnapshot | undefined) {
    return (snapshot ?? []).map(({layers, ...rest}) => ({...rest, ...(layers ? {layers: layersToPair(layers)} : {})}));
}

/** How a reply's history was evaluated, for the transcript: the policy, and a re-evaluation or stale tokens. */
export function describeHistoryRecord(record: HistoryRecord | undefined): string {
    if (record == null) return "";
    if (record.reevaluated) return `history ${record.policy}, evaluated again`;
    if (record.staleTokens > 0) return `history ${record.policy}, ${record.staleTokens} tokens under older steering`;
    return `history ${record.policy}`;
}

/** Perplexity from a mean log-probability: 1 is certain; it climbs as the model falls apart. */
/** `first token 0.21 s (812 prompt tok/s)`; prompt speed only when the prompt took measurable time */
export function describeTiming(timing: ReplyTiming): string {
    const prompt = timing.promptTokens > 0 && timing.promptTokensPerSecond > 0 ? ` (${timing.promptTokensPerSecond.toFixed(0)} prompt tok/s)` : "";
    return `first token ${timing.firstTokenSeconds.toFixed(2)} s${prompt}`;
}

export function perplexity(meanLogProb: number | undefined): number | undefined {
    return meanLogProb == null ? undefined : Math.exp(-meanLogProb);
}

type Meta = {model: string, mode: string, systemPrompt?: string, sampling?: SamplingOptions};

/** a reply's steering policy as the transcript says it, when it is not the default (every token) */
function policyNote(policy: SteerPolicy): string {
    return policy === "all" ? "" : ` · steering ${policy} (${describeSteerPolicy(policy)})`;
}

export function transcriptJson(entries: readonly TranscriptEntry[], meta: Meta): string {
    const turns = entries.map((e) => {
        if (e.kind === "cleared") return {role: "cleared"};
        if (e.kind === "trial") return {role: "trial", command: `/${e.command}`, text: e.text};
        if (e.kind === "user") return {role: "user", text: e.text, ...(e.failed ? {failed: true} : {})};
        const stats = e.stats;
        return {role: "assistant", text: e.text, outcome: e.outcome, ...(e.error != null ? {error: e.error} : {}),
            steering: steeringJson(e.steering), policy: e.policy, stopReason: stats?.stopReason,
            tokenCount: stats?.tokenCount, tokensPerSecond: stats?.tokensPerSecond, meanLogProb: stats?.meanLogProb,
            perplexity: perplexity(stats?.meanLogProb), ...(e.readout ? {readout: e.readout} : {}),
            sampling: e.sampling, ...(stats?.timing ? {timing: stats.timing} : {}),
            ...(e.gauge ? {gauge: e.gauge} : {}), ...(e.gate ? {gate: e.gate} : {}),
            ...(stats?.history ? {history: stats.history} : {}), ...(e.replaced ? {replaced: true} : {})};
    });
    return JSON.stringify({...meta, savedAt: new Date().toISOString(), turns}, null, 2) + "\n";
}

/** how a reply ended, as the transcript says it */
const STOP_REASONS: Record<Reply["stopReason"], string> = {
    eos: "ended by the model",
    maxTokens: "hit --max-tokens",
    aborted: "stopped",
    contextFull: "context full"
};

/** How a reply ended and its speed: `ended by the model · 42 tokens at 31.2 tok/s · first token 0.21 s (812 prompt tok/s)`. */
export function describeReplyRun(reply: ReplyStats | undefined): string {
    if (reply == null) return "";
    return [STOP_REASONS[reply.stopReason] ?? reply.stopReason,
        `${reply.tokenCount} tokens${reply.tokensPerSecond > 0 ? ` at ${reply.tokensPerSecond.toFixed(1)} tok/s` : ""}`,
        ...reply.timing ? [describeTiming(reply.timing)] : []].join(" · ");
}

/** what the line under a reply says of how it ended: its run, or for a failed reply the error */
function replyEnd(e: ReplyEntry): string {
    return e.outcome === "failed" ? `failed: ${e.error ?? "error"}` : describeReplyRun(e.stats);
}

/** What the heading says of a reply besides its steering: the policy, perplexity, the gauge, the history. */
function replyMeasures(e: ReplyEntry): string {
    const ppl = perplexity(e.stats?.meanLogProb);
    const history = describeHistoryRecord(e.stats?.history);
    return `${policyNote(e.policy)}${ppl != null ? ` (perplexity ${ppl.toFixed(2)})` : ""}${e.gauge ? ` · ${describeGauge(e.gauge)}` : ""}${history !== "" ? ` · ${history}` : ""}` +
        (e.gate ? ` · ${describeDecision(e.gate)}` : "");
}

/** `Model (replaced by the next reply) — steering…` */
function replyHeading(e: ReplyEntry): string {
    const mark = e.replaced ? " (replaced by the next reply)" : e.outcome === "failed" ? " (failed mid-reply)" : "";
    return `Model${mark} — ${describeSnapshot(e.steering)}${replyMeasures(e)}`;
}

function header(meta: Meta, bullet: string): string[] {
    const lines = [`${bullet}model: ${meta.model}`, `${bullet}mode: ${meta.mode}`];
    if (meta.systemPrompt) lines.push(`${bullet}system prompt: ${meta.systemPrompt}`);
    if (meta.sampling) lines.push(`${bullet}sampling: ${describeSampling(meta.sampling)}`);
    return lines;
}

export function transcriptMarkdown(entries: readonly TranscriptEntry[], meta: Meta): string {
    const lines = ["# steer-chat transcript", "", ...header(meta, "- ")];
    for (const e of entries) {
        if (e.kind === "cleared") lines.push("", "---", "", "_/clear: the conversation started again here_");
        else if (e.kind === "trial") lines.push("", `## /${e.command}`, "", "```", e.text, "```");
        else if (e.kind === "user") lines.push("", "## You", "", e.text);
        else {
            const end = replyEnd(e);
            lines.push("", `## ${replyHeading(e)}`, "", e.text, ...end !== "" ? ["", `_${end}_`] : []);
        }
    }
    return lines.join("\n") + "\n";
}

/** The transcript as plain text (/save FILE.txt): no Markdown, each message after a line naming its speaker. */
export function transcriptText(entries: readonly TranscriptEntry[], meta: Meta): string {
    const lines = ["steer-chat transcript", ...header(meta, "")];
    for (const e of entries) {
        if (e.kind === "cleared") lines.push("", "--- /clear: the conversation started again here ---");
        else if (e.kind === "trial") lines.push("", `/${e.command}:`, e.text);
        else if (e.kind === "user") lines.push("", "You:", e.text);
        else {
            const end = replyEnd(e);
            lines.push("", `${replyHeading(e)}:`, e.text, ...end !== "" ? [`[${end}]`] : []);
        }
    }
    return lines.join("\n") + "\n";
}

/** the transcript formats /save writes, by the file's extension */
export const TRANSCRIPT_FORMATS = {".md": transcriptMarkdown, ".markdown": transcriptMarkdown, ".json": transcriptJson, ".txt": transcriptText};

function wrap(text: string, width: number): string[] {
    const out: string[] = [];
    for (const paragraph of text.split("\n")) {
        let line = "";
        for (const word of paragraph.split(/(\s+)/)) {
            if ((line + word).length > width && line.trim() !== "") {
                out.push(line.trimEnd());
                line = word.trimStart();
            } else line += word;
            while (line.length > width) {
                out.push(line.slice(0, width));
                line = line.slice(width);
            }
        }
        out.push(line.trimEnd());
    }
    return out;
}

/** Two replies in columns, with their headings. */
export function sideBySide(left: {title: string, text: string}, right: {title: string, text: string}, totalWidth: number): string {
    const width = Math.max(16, Math.floor((totalWidth - 3) / 2));
    const a = [left.title, "─".repeat(Math.min(width, left.title.length)), ...wrap(left.text, width)];
    const b = [right.title, "─".repeat(Math.min(width, right.title.length)), ...wrap(right.text, width)];
    const rows = Math.max(a.length, b.length);
    return Array.from({length: rows}, (_, i) => `${(a[i] ?? "").padEnd(width)} │ ${b[i] ?? ""}`.trimEnd()).join("\n");
}

/** `stopped`: Esc cut the reply short, so its text and perplexity are not a whole reply's */
/**
 * `stopped`: Esc cut the reply short, so its text and perplexity are not a whole reply's; `gauge`: its KL from the
 * unsteered model and repetition, where measured; `control`: a random direction with the vector's per-layer norms
 */
export type SweepRow = {coefficient: number, text: string, meanLogProb: number | undefined, stopped?: boolean,
    gauge?: {kl: number, repetition: number}, control?: boolean};

/**
 * /sweep's table: one row per coefficient with the reply (one line, cut to fit), its perplexity and, where the gauge
 * measured it, KL and repetition; a random control's rows are marked `rnd`.
 */
export function sweepTable(vector: string, rows: SweepRow[], totalWidth: number): string {
    const gauged = rows.some((r) => r.gauge != null);
    const gaugeHeader = gauged ? " KL    │ rep  │" : "";
    const textWidth = Math.max(10, totalWidth - 24 - gaugeHeader.length);
    const header = `${vector.padEnd(12).slice(0, 12)} │ ppl    │${gaugeHeader} reply`;
    const lines = rows.map((r) => {
        const ppl = perplexity(r.meanLogProb);
        const oneLine = `${r.stopped ? "[stopped] " : ""}${r.text.replace(/\s+/g, " ").trim()}`;
        const cut = oneLine.length > textWidth ? oneLine.slice(0, textWidth - 1) + "…" : oneLine;
        const gauge = !gauged ? "" : r.gauge == null ? " —     │ —    │"
            : ` ${r.gauge.kl.toFixed(2).padEnd(5)} │ ${`${(r.gauge.repetition * 100).toFixed(0)}%`.padEnd(4)} │`;
        const label = `${formatCoefficient(r.coefficient)}${r.control ? " rnd" : ""}`;
        return `${label.padEnd(12)} │ ${(ppl != null ? ppl.toFixed(2) : "—").padEnd(6)} │${gauge} ${cut}`;
    });
    return [header, "─".repeat(Math.min(totalWidth, header.length + textWidth - 5)), ...lines].join("\n");
}

/** The coefficients of a sweep from `from` to `to` (inclusive) by `step`, free of float drift. */
export function sweepValues(from: number, to: number, step: number): number[] {
    const count = Math.floor(Math.abs(to - from) / step + 1e-9) + 1;
    const sign = to >= from ? 1 : -1;
    return Array.from({length: count}, (_, i) => Math.round((from + sign * i * step) * 1e6) / 1e6);
}

/** The line said when raw mode dropped the oldest exchanges to make room in the context. */
export function contextShiftNote(droppedTurns: number): string {
    return `The context was full: the ${droppedTurns === 1 ? "oldest exchange was" : `${droppedTurns} oldest exchanges were`} dropped ` +
        "to make room (the system text is kept)";
}
