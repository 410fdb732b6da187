/**
 * `steer-chat vectors`: the control vectors available by name, one a line, with layers, n_embd, model hint and the
 * best held-out AUROC steer-chat train stored, in lookup order; a file whose name an earlier folder also has says which
 * one the name means, and a vector that does not separate its own data gets a warning line under it.
 */
import {displayText} from "../displayText.js";
import {resolveModel} from "../engine/modelResolver.js";
import {modelTrainedDir} from "../training/recipeVectors.js";
import {shownModelHint} from "../steering/controlVector.js";
import {listVectors, vectorFolders} from "../steering/vectorLibrary.js";
import {qualityWarning, shortQuality} from "../steering/vectorQuality.js";

/** `model` (--model): also list the vectors trained for it, looked up between the user's and the shipped ones */
export async function runVectors(out: NodeJS.WritableStream, model?: string): Promise<number> {
    const trainedDir = model != null ? await modelTrainedDir({modelPath: await resolveModel(model)}) : undefined;
    const listings = await listVectors(trainedDir);
    if (listings.length === 0) {
        out.write(`No control vectors yet. Put .gguf vectors in ${vectorFolders(trainedDir).map((f) => displayText(f.dir, 1000)).join(" or ")}, or pass a file with --vector.\n`);
        return 0;
    }
    for (const v of listings) {
        const shadow = v.shadowedBy != null ? `  (the name ${v.name} means the [${v.shadowedBy}] one)` : "";
        if (!v.ok) {
            out.write(`${v.name.padEnd(20)} unreadable: ${v.problem}  [${v.folder}]${shadow}\n`);
            continue;
        }
        out.write(`${v.name.padEnd(20)} ${String(v.layerCount).padStart(3)} layers (top ${v.topLayer})  n_embd ${String(v.nEmbd).padEnd(6)} ` +
            `${v.modelHint ? `model ${shownModelHint(v.modelHint)}` : ""}  ${shortQuality(v.quality).padEnd(16)}  [${v.folder}] ${displayText(v.file, 400)}${shadow}\n`);
        const warning = qualityWarning(v.name, v.quality);
        if (warning) out.write(`${"".padEnd(20)} ${warning}\n`);
    }
    return 0;
}
