import React from "react";
import {Box, Text} from "ink";
import type {ReplyTiming} from "../../engine/conversation.js";
import {describeGauge, type CoherenceGauge} from "../../steering/coherence.js";
import {describeTiming, perplexity} from "../../session/transcript.js";
import type {SteerPolicy} from "../../steering/steerPolicy.js";

export type StatusBarProps = {
    modelName: string,
    mode: "chat" | "raw",
    /** staleTokens: cached tokens evaluated under older steering */
    contextUsage: {used: number, size: number, staleTokens?: number},
    tokensPerSecond: number | undefined,
    /** the last reply's prompt phase: time to its first token and prompt tokens per second */
    timing?: ReplyTiming,
    /** the last reply's mean token log-probability: shown as perplexity */
    meanLogProb?: number,
    /** the last steered reply against the unsteered model: KL, repetition, perplexity there */
    gauge?: CoherenceGauge,
    busy: boolean,
    /** the steering policy (shown when it is not `all`) */
    steer?: SteerPolicy
};

/**
 * The bottom line: model, mode, context use (and how much of the history was evaluated under older steering, under
 * the keep policy) and the last reply's timings (first token, prompt tokens/s, generation tokens/s, as llama-cli prints).
 */
// memo: streamed text re-renders the app every flush; this only when its own props change
export const StatusBar = React.memo(function StatusBar(
    {modelName, mode, contextUsage, tokensPerSecond, timing, meanLogProb, gauge, busy, steer}: StatusBarProps) {
    const stale = contextUsage.staleTokens ?? 0;
    const ppl = perplexity(meanLogProb);
    const percent = contextUsage.size > 0 ? Math.round((contextUsage.used / contextUsage.size) * 100) : 0;
    return (
        <Box>
            <Text dimColor wrap="truncate-end">
                {modelName} · {mode}{steer != null && steer !== "all" ? ` · steer ${steer}` : ""} · ctx {contextUsage.used}/{contextUsage.size} ({percent}%)
                {stale > 0 ? ` · ${stale} tok under older steering: /reeval` : ""}
                {timing != null ? ` · ${describeTiming(timing)}` : ""}
                {tokensPerSecond != null && tokensPerSecond > 0 ? ` · ${tokensPerSecond.toFixed(1)} tok/s` : ""}
                {gauge != null ? ` · ${describeGauge(gauge)}` : ppl != null ? ` · ppl ${ppl.toFixed(2)}` : ""}
                {busy ? " · Esc to stop" : " · /help"}
            </Text>
        </Box>
    );
});
