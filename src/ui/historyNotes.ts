/**
 * What the chat says about the history policy: /history's note, /reeval's progress and outcome. Pure.
 */
import type {HistoryPolicy, ReevaluateResult} from "../engine/conversation.js";
import {progressBarText} from "./progressText.js";

/** /history's note: the policy (what it does when just set) and how much of the history depends on older steering */
export function historyNote(policy: HistoryPolicy, staleTokens: number, justSet: boolean): string {
    const effect = !justSet ? "" : policy === "keep" ? " — a steering change applies to new tokens from the next turn"
        : " — after a steering change the next turn evaluates the history again";
    const stale = staleTokens > 0 ? `; ${staleTokens} tokens of the history depend on older steering (/reeval evaluates them again)` : "";
    return `History policy ${policy}${effect}${stale}`;
}

export function historyProgressText(done: number, total: number): string {
    return `evaluating the history ${progressBarText(done / total)} ${done}/${total} tokens (Esc stops)`;
}

export function reevaluateNote(result: ReevaluateResult): string {
    if (result.stopped) return `Stopped: ${result.evaluated} of ${result.total} history tokens evaluated again (the next turn does the rest)`;
    return result.total === 0 ? "The history is already evaluated under the current steering" : `Evaluated the history again: ${result.total} tokens`;
}
