/**
 * `steer-chat train --describe "speaks like a pirate" --output pirate.gguf`: a vector from a sentence (the personas
 * and pairs are src/training/describedVectors.ts's), trained for the model or taken from its per-model cache, written
 * to --output with its held-out score on stdout, as a recipe's. `--dry-run` prints the pairs it would build and exits
 * before any model is loaded.
 */
import path from "node:path";
import {displayQuoted, displayText} from "../displayText.js";
import {UserFacingError} from "../errors.js";
import {checkWritableTarget, namingFile} from "../engine/userFiles.js";
import {resolveModel} from "../engine/modelResolver.js";
import {loadModel} from "../engine/runtime.js";
import {saveControlVector} from "../steering/loadControlVector.js";
import {parseLayerRange} from "../steering/inputGrammar.js";
import {checkDescription, describedPairsText, ensureDescribedVector} from "../training/describedVectors.js";
import {onInterrupt} from "./interrupts.js";
import type {CliOptions} from "./options.js";
import {stderrProgressBar} from "./progressBar.js";
import {checkOutput, reportQuality} from "./trainCommand.js";

export async function runTrainDescribed(options: CliOptions, out: NodeJS.WritableStream, err: NodeJS.WriteStream): Promise<number> {
    const description = checkDescription(options.describe ?? "");
    if (options.recipe != null || options.positive != null || options.negative != null)
        throw new UserFacingError("train takes one source of pairs: --describe, --recipe, or --positive and --negative", "drop the others");
    if (options.dryRun) {
        out.write(describedPairsText(description).join("\n") + "\n");
        return 0;
    }
    if (options.model == null) throw new UserFacingError("train needs a model", "pass it with --model (or show the pairs with --dry-run)");
    if (options.output == null) throw new UserFacingError("train needs --output FILE.gguf");
    const layers = options.layers != null ? parseLayerRange(options.layers) : undefined;
    checkWritableTarget(options.output, "Output file");
    await checkOutput(options.output, options.force);

    const loaded = await loadModel(await resolveModel(options.model), options);
    try {
        const controller = new AbortController();
        const stopCancelling = onInterrupt(() => controller.abort());
        const progress = stderrProgressBar(err, "training", "prompts");
        let result;
        try {
            result = await ensureDescribedVector(loaded, description, {method: options.method, positions: options.positions,
                scale: options.scale, layers, seed: options.seed, signal: controller.signal, onProgress: progress.update});
        } finally {
            stopCancelling();
            progress.end();
        }
        const {vector, trained} = result;
        namingFile(options.output, () => saveControlVector(options.output!, vector));
        const how = trained != null
            ? `trained on ${trained.evaluatedTokens} tokens in ${trained.seconds.toFixed(2)} s (${options.method}, ${options.positions} positions)`
            : `from the cache (trained for this model before: ${displayText(result.file, 1000)})`;
        out.write(`Wrote ${displayText(path.resolve(options.output), 1000)} for ${displayQuoted(description, 200)}: ` +
            `${vector.directions.size} layers, n_embd ${vector.nEmbd}, ${how}\n`);
        reportQuality(options.output, vector.quality, out, err);
        return 0;
    } finally {
        await loaded.dispose();
    }
}
