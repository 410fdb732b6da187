import type {JobProgress, Outcome} from "../../session/chatSession.js";
import {progressBarText} from "../progressText.js";
import type {CommandContext} from "./command.js";

/** A training's progress, shown where the reply would stream. */
export const trainingProgress = (progress: (text: string) => void) => (done: number, total: number) =>
    progress(`training ${progressBarText(done / total)} ${done}/${total} prompts`);

/**
 * Work that may train a recipe for this model (/vector add, /preset load, /train): a training job with its progress
 * bar, stopped by Esc; what it says back is shown.
 */
export function trainingJob({runJob, show, progress}: CommandContext, label: string,
    work: (progress: JobProgress) => Promise<Outcome | readonly Outcome[]>): Promise<void> {
    return runJob("training", label, async (signal) => show(await work({signal, onProgress: trainingProgress(progress)})));
}
