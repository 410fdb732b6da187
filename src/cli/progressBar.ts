import {resolveModel} from "../engine/modelResolver.js";
import {progressBarText} from "../ui/progressText.js";

/** A one-line progress bar on stderr (redrawn in place; only when stderr is a terminal, so logs stay clean). */
export function stderrProgressBar(err: NodeJS.WriteStream, label: string, unit: string) {
    let drawn = false;
    return {
        update(done: number, total: number) {
            if (!err.isTTY) return;
            // the bar is clamped: a download of unknown size reports a total of 0
            err.write(`\r${label} ${progressBarText(done / Math.max(1, total))} ${done}/${total} ${unit}`);
            drawn = true;
        },
        /** ends the line, if one was drawn */
        end() {
            if (drawn) err.write("\n");
            drawn = false;
        }
    };
}

/** The model's file for --model (a path, a name or an hf: URI), with a download bar on stderr while one is fetched. */
export async function resolveModelWithProgress(model: string): Promise<string> {
    const download = stderrProgressBar(process.stderr, "downloading", "MB");
    return resolveModel(model, {
        onProgress: ({downloadedSize, totalSize}) => download.update(Math.round(downloadedSize / 1e6), Math.round(totalSize / 1e6))
    }).finally(() => download.end());
}
