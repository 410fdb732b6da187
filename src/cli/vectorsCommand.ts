/**
 * `steer-chat vectors`: the control vectors available by name, one a line, with layers, n_embd, model hint and the
 * best held-out AUROC steer-chat train stored; a vector that does not separate its own data gets a warning line under it.
 */
import {displayText} from "../engine/displayText.js";
import {shownModelHint} from "../steering/controlVector.js";
import {listVectors, vectorFolders} from "../steering/vectorLibrary.js";
import {qualityWarning, shortQuality} from "../steering/vectorQuality.js";

export async function runVectors(out: NodeJS.WritableStream): Promise<number> {
    const listings = await listVectors();
    if (listings.length === 0) {
        out.write(`No control vectors yet. Put .gguf vectors in ${vectorFolders().map((f) => f.dir).join(" or ")}, or pass a file with --vector.\n`);
        return 0;
    }
    for (const v of listings) {
        if (!v.ok) {
            out.write(`${v.name.padEnd(20)} unreadable: ${v.problem}  [${v.folder}]\n`);
            continue;
        }
        out.write(`${v.name.padEnd(20)} ${String(v.layerCount).padStart(3)} layers (top ${v.topLayer})  n_embd ${String(v.nEmbd).padEnd(6)} ` +
            `${v.modelHint ? `model ${shownModelHint(v.modelHint)}` : ""}  ${shortQuality(v.quality).padEnd(16)}  [${v.folder}] ${displayText(v.file, 400)}\n`);
        const warning = qualityWarning(v.name, v.quality);
        if (warning) out.write(`${"".padEnd(20)} ${warning}\n`);
    }
    return 0;
}
