import React from "react";
import {Box, Text} from "ink";
import type {ReplyTiming} from "../../engine/conversation.js";
import {describeGauge, type CoherenceGauge} from "../../steering/coherence.js";
import {describeTiming, perplexity} from "../../session/transcript.js";
import type {SteerPolicy} from "../../steering/steerPolicy.js";
import {displayWidth} from "../graphemes.js";

export type StatusBarProps = {
    modelName: string,
    mode: "chat" | "raw",
    /** staleTokens: cached tokens evaluated under older steering */
    contextUsage: {used: number, size: number, staleTokens?: number, unevaluated?: number},
    tokensPerSecond: number | undefined,
    /** the last reply's prompt phase: time to its first token and prompt tokens per second */
    timing?: ReplyTiming,
    /** the last reply's mean token log-probability: shown as perplexity */
    meanLogProb?: number,
    /** the last steered reply against the unsteered model: KL, repetition, perplexity there */
    gauge?: CoherenceGauge,
    busy: boolean,
    /** the steering policy (shown when it is not `all`) */
    steer?: SteerPolicy,
    /** the steering gates on (`code off · when NAME>Z`), escaped; a string, so the memo holds while a reply streams */
    gates?: string
    /** the terminal's width: figures that do not fit beside the context go on a second line */
    columns?: number
};

/**
 * The bottom line: model, mode, context use (and how much of the history was evaluated under older steering, under
 * the keep policy, or is to be evaluated again after trials dropped the cache) and the last reply's timings (first
 * token, prompt tokens/s, generation tokens/s, as llama-cli prints). When it does not fit `columns`, the reply's
 * figures go on a line of their own (wrapped on a narrow terminal) rather than being cut off. One perplexity is
 * shown: the gauge's, labelled as measured by the unsteered model, when there is one; else the reply's own (the same
 * figure as under the reply).
 */
// memo: streamed text re-renders the app every flush; this only when its own props change
export const StatusBar = React.memo(function StatusBar(
    {modelName, mode, contextUsage, tokensPerSecond, timing, meanLogProb, gauge, busy, steer, gates, columns = Infinity}: StatusBarProps) {
    const stale = contextUsage.staleTokens ?? 0;
    const unevaluated = contextUsage.unevaluated ?? 0;
    const ppl = perplexity(meanLogProb);
    const percent = contextUsage.size > 0 ? Math.round((contextUsage.used / contextUsage.size) * 100) : 0;
    const head = `${modelName} · ${mode}${steer != null && steer !== "all" ? ` · steer ${steer}` : ""}${gates ? ` · ${gates}` : ""} · ctx ${contextUsage.used}/${contextUsage.size} (${percent}%)` +
        (stale > 0 ? ` · ${stale} tok under older steering: /reeval` : "") +
        (unevaluated > 0 ? ` · ${unevaluated} tok to evaluate again next turn` : "");
    const figures = [
        ...timing != null ? [describeTiming(timing)] : [],
        ...tokensPerSecond != null && tokensPerSecond > 0 ? [`${tokensPerSecond.toFixed(1)} tok/s`] : [],
        ...gauge != null ? [describeGauge(gauge)] : ppl != null ? [`ppl ${ppl.toFixed(2)}`] : []
    ].join(" · ");
    const tail = busy ? "Esc to stop" : "/help";
    const oneLine = [head, figures, tail].filter((part) => part !== "").join(" · ");
    return (
        <Box flexDirection="column">
            {displayWidth(oneLine) <= columns || figures === ""
                ? <Text dimColor wrap="truncate-end">{oneLine}</Text>
                : <>
                    <Text dimColor wrap="truncate-end">{head} · {tail}</Text>
                    <Text dimColor wrap="wrap">  last reply: {figures}</Text>
                </>}
        </Box>
    );
});
