/**
 * `steer-chat train`: a control vector for the given model from a recipe or two prompt files, written in
 * llama.cpp's format. What was written and the held-out table go to stdout; progress (a bar) and warnings to
 * stderr; Ctrl+C cancels between prompts.
 */
import path from "node:path";
import {parseDirection} from "../training/importDirection.js";
import {displayText} from "../displayText.js";
import {UserFacingError} from "../errors.js";
import {checkReplaceable, checkWritableTarget, namingFile, readRegularFile} from "../engine/userFiles.js";
import {resolveModel} from "../engine/modelResolver.js";
import {loadModel} from "../engine/runtime.js";
import {loadControlVector, saveControlVector} from "../steering/loadControlVector.js";
import {qualityTable, qualityWarning, type VectorQuality} from "../steering/vectorQuality.js";
import {vectorNameOf} from "../steering/vectorLibrary.js";
import {parseLayerRange} from "../steering/inputGrammar.js";
import {readPromptFile} from "../training/promptFiles.js";
import {loadRecipe, renderRecipe} from "../training/recipes.js";
import {checkPromptPairs, trainControlVector} from "../training/trainControlVector.js";
import {onInterrupt} from "./interrupts.js";
import {stderrProgressBar} from "./progressBar.js";
import type {CliOptions} from "./options.js";

export async function runTrain(options: CliOptions, out: NodeJS.WritableStream, err: NodeJS.WriteStream): Promise<number> {
    if (options.dryRun) throw new UserFacingError("--dry-run shows the pairs --describe would build", 'add --describe "TEXT"');
    if (options.model == null) throw new UserFacingError("train needs a model", "pass it with --model");
    if (options.output == null) throw new UserFacingError("train needs --output FILE.gguf");
    if ((options.recipe == null) === (options.positive == null && options.negative == null))
        throw new UserFacingError("train needs either --recipe NAME, --describe TEXT or --positive FILE --negative FILE");
    if (options.recipe == null && (options.positive == null || options.negative == null))
        throw new UserFacingError("train needs both --positive and --negative prompt files");
    const recipe = options.recipe != null ? loadRecipe(options.recipe) : undefined;
    // read the prompt files before loading the model: bad input fails fast
    const files = recipe == null ? {positives: readPromptFile(options.positive!), negatives: readPromptFile(options.negative!)} : undefined;
    if (files) checkPromptPairs(files.positives, files.negatives);
    const layers = options.layers != null ? parseLayerRange(options.layers) : undefined;
    checkWritableTarget(options.output, "Output file");
    await checkOutput(options.output, options.force);

    const loaded = await loadModel(await resolveModel(options.model), options);
    try {
        const prompts = files ?? renderRecipe(recipe!, loaded.model);
        const controller = new AbortController();
        const stopCancelling = onInterrupt(() => controller.abort());
        const progress = stderrProgressBar(err, "training", "prompts");
        let result;
        try {
            result = await trainControlVector(loaded, {
                ...prompts, method: options.method, positions: options.positions, scale: options.scale, layers, seed: options.seed,
                signal: controller.signal, onProgress: progress.update
            });
        } finally {
            stopCancelling();
            progress.end();
        }
        namingFile(options.output, () => saveControlVector(options.output!, result.vector));
        // the result (what was written, the held-out table) on stdout, to keep or pipe; progress and warnings on stderr
        out.write(`Wrote ${displayText(path.resolve(options.output), 1000)}: ${result.vector.directions.size} layers, n_embd ${result.vector.nEmbd}, ` +
            `${result.evaluatedTokens} tokens in ${result.seconds.toFixed(2)} s (${options.method}, ${options.positions} positions)\n`);
        reportQuality(options.output, result.vector.quality, out, err);
        return 0;
    } finally {
        await loaded.dispose();
    }
}

/** `steer-chat import FILE --layer N --output V.gguf`: a raw direction for one layer, as a control vector. */
export async function runImport(options: CliOptions, err: NodeJS.WritableStream): Promise<number> {
    const file = options.args[0]!;
    if (options.output == null) throw new UserFacingError("import needs --output FILE.gguf");
    checkWritableTarget(options.output, "Output file");
    await checkOutput(options.output, options.force);
    const bytes = readRegularFile(file, "Direction file", () => new UserFacingError(`File not found: ${file}`));
    let direction;
    try {
        direction = parseDirection(file, bytes);
    } catch (e) {
        throw new UserFacingError((e as Error).message, "give a .npy (float32/float64, shape (n,)) or a JSON array of numbers");
    }
    if (options.layer == null && direction.layerProblem != null)
        throw new UserFacingError(`Cannot import ${file}: ${direction.layerProblem}`, "pass --layer N to place it yourself");
    const layer = options.layer ?? direction.layer;
    if (layer == null || layer < 1)
        throw new UserFacingError(`Which layer does ${file} steer?`, "pass --layer N (1 or more: llama.cpp never steers layer 0)");
    namingFile(options.output, () => saveControlVector(options.output!,
        {nEmbd: direction.values.length, directions: new Map([[layer, direction.values]])}));
    if (options.layer == null && direction.layerSource != null) err.write(`Layer from the file: ${displayText(direction.layerSource, 1000)}\n`);
    err.write(`Wrote ${displayText(path.resolve(options.output), 1000)}: layer ${layer}, n_embd ${direction.values.length}\n`);
    return 0;
}

/** --output may replace a control vector (training it again), but nothing else without --force: checked before any work. */
/** A trained vector's held-out table on stdout (train's result), and a warning on stderr when it is weak. */
export function reportQuality(output: string, quality: VectorQuality | undefined, out: NodeJS.WritableStream, err: NodeJS.WritableStream) {
    if (quality == null) out.write("No held-out check: it needs at least 2 prompt pairs\n");
    else out.write([...qualityTable(quality), "(the written vector uses every pair)"].join("\n") + "\n");
    const warning = qualityWarning(vectorNameOf(output), quality);
    if (warning) err.write(`steer-chat: ${warning}\n`);
}

export async function checkOutput(file: string, force: boolean) {
    await checkReplaceable(file, {force, kind: "a control vector", flag: "--output", isOurs: (f) => loadControlVector(f).then(() => true)});
}
