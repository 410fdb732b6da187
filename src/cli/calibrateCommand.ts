/**
 * `steer-chat calibrate --model M --vector V`: the largest strength each way whose replies stay coherent, by
 * bisection over seeded generations on a few held-out prompts (printed, with the limits), and the curve of every
 * strength probed as a small text plot. Progress goes to stderr, one line a strength; Ctrl+C stops and prints what
 * was found so far.
 */
import {displayText} from "../displayText.js";
import {UserFacingError} from "../errors.js";
import {createConversation} from "../engine/conversation.js";
import {resolveModel} from "../engine/modelResolver.js";
import {loadModel} from "../engine/runtime.js";
import {autoCalibrate, type AutoCalibration} from "../steering/autoCalibrate.js";
import {modelCalibration} from "../steering/calibration.js";
import {replyOnlySettings} from "../steering/steerPolicy.js";
import {SteeringController} from "../steering/steeringController.js";
import {parseLayerRange, parseVectorStrengthSpec} from "../steering/inputGrammar.js";
import {DEFAULT_LIMITS} from "../steering/strengthSearch.js";
import {CALIBRATE_SAMPLING, calibrationReport, pointLine} from "../steering/calibrationReport.js";
import {loadEntryOrRecipe, recipeTrainerFor} from "../training/recipeVectors.js";
import {onInterrupt} from "./interrupts.js";
import type {CliOptions} from "./options.js";

/** replies are short: coherence shows within a few dozen tokens, and each strength costs one reply per prompt */

export async function runCalibrate(options: CliOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
    if (options.model == null) throw new UserFacingError("calibrate needs a model", "pass it with --model");
    if (options.vectors.length !== 1) throw new UserFacingError("calibrate needs one --vector", "steer-chat calibrate --model M --vector NAME_OR_FILE");
    const {ref} = parseVectorStrengthSpec(options.vectors[0]!); // a strength given with it is not used: the search sets it
    const layers = options.layers != null ? parseLayerRange(options.layers) : undefined;
    const limits = {kl: options.maxKl ?? DEFAULT_LIMITS.kl, repetition: options.maxRepetition ?? DEFAULT_LIMITS.repetition};
    const policy = options.steer ?? "all";
    const sampling = {temperature: options.temperature ?? CALIBRATE_SAMPLING.temperature, seed: options.seed ?? CALIBRATE_SAMPLING.seed,
        maxTokens: options.maxTokens ?? CALIBRATE_SAMPLING.maxTokens};

    const loaded = await loadModel(await resolveModel(options.model), options);
    try {
        const controller = SteeringController.create(loaded.context, loaded.model);
        const entry = await loadEntryOrRecipe(controller, ref, 0, {layers, train: recipeTrainerFor(loaded)});
        for (const w of entry.warnings ?? []) err.write(`${displayText(w, 1000)}\n`);
        controller.update((s) => s.add(entry));
        const calibration = await modelCalibration(loaded);
        const conversation = createConversation(loaded, {
            mode: options.raw ? "raw" : "chat", systemPrompt: options.system, sampling,
            beforeTurn: () => controller.applyStaged(), settingsKey: () => controller.appliedState.signature(),
            replySettings: replyOnlySettings(controller, () => policy)
        });
        const abort = new AbortController();
        const stopListening = onInterrupt(() => abort.abort());
        let result: AutoCalibration;
        try {
            err.write(`calibrating ${entry.name} on ${loaded.modelName} (${conversation.mode} mode): a reply per prompt at each strength\n`);
            result = await autoCalibrate(loaded, conversation, controller, {
                name: entry.name, calibration, limits, maxSigma: options.maxSigma, policy, signal: abort.signal,
                onPoint: (p) => err.write(`  ${pointLine(p)}\n`)
            });
        } finally {
            stopListening();
            conversation.dispose();
        }
        out.write(calibrationReport(result, {model: loaded.modelName, sampling, policy}));
        return 0;
    } finally {
        await loaded.dispose();
    }
}
