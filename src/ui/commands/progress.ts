import {progressBarText} from "../progressText.js";

/** A training's progress, shown where the reply would stream. */
export const trainingProgress = (progress: (text: string) => void) => (done: number, total: number) =>
    progress(`training ${progressBarText(done / total)} ${done}/${total} prompts`);
