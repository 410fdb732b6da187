/**
 * Auto-calibration of one loaded vector: the largest strength each way whose replies to a few held-out prompts stay
 * coherent (mean KL from the unsteered model and repetition under limits), found by bisection over real, seeded
 * generations (strengthSearch.ts), with the curve of every strength probed.
 *
 * It runs on a conversation the caller owns (the chat's, or the calibrate command's), clearing it before each reply;
 * the vector's coefficient is changed through `steering` while it runs and put back when it ends (the chat passes its
 * session's stage, through which every steering change goes; the calibrate command, the controller itself).
 */
import type {Token} from "node-llama-cpp";
import type {Conversation} from "../engine/conversation.js";
import type {LoadedModel} from "../engine/runtime.js";
import {UserFacingError} from "../errors.js";
import {resolveSigma} from "./calibration.js";
import {CoherenceMeter} from "./coherenceMeter.js";
import {ConceptReader} from "./conceptReader.js";
import {mean} from "./readout.js";
import type {SteerPolicy} from "./steerPolicy.js";
import type {SteeringController} from "./steeringController.js";
import {DEFAULT_LIMITS, roundSigma, searchLimit, withinLimits, type SearchResult, type StrengthLimits, type StrengthPoint} from "./strengthSearch.js";
import type {ModelCalibration} from "./strengthUnits.js";

/** What calibration needs of the steering: the staged state, a way to stage a change, and the applied mix. */
export type CalibrationSteering = Pick<SteeringController, "state" | "update" | "appliedVector">;

/** Held-out prompts: never in a recipe's training pairs. Story openings suit base models (raw mode). */
export const RAW_PROMPTS = ["Once upon a time", "One day, a boy", "The sun was warm and"];
export const CHAT_PROMPTS = ["Tell me about your morning.", "Describe a walk in a park.", "What is a good way to spend a rainy day?"];

export type AutoCalibrationOptions = {
    /** the loaded vector to calibrate (an entry of the controller's state) */
    name: string,
    calibration: ModelCalibration,
    /** prompts to generate from (default: RAW_PROMPTS or CHAT_PROMPTS by the conversation's mode) */
    prompts?: readonly string[],
    limits?: StrengthLimits,
    /** the range searched each way, in σ (default 2) */
    maxSigma?: number,
    /** bisection steps each way (default 5: the limit within maxSigma / 32) */
    steps?: number,
    /** how the replies are steered (default all) */
    policy?: SteerPolicy,
    /** called after each strength probed */
    onPoint?: (point: StrengthPoint) => void,
    signal?: AbortSignal
};

export type AutoCalibration = {
    name: string,
    prompts: readonly string[],
    limits: StrengthLimits,
    /** the unsteered replies' measures (σ 0) */
    baseline: StrengthPoint,
    positive: SearchResult,
    negative: SearchResult,
    /** every strength probed, in the order probed (the baseline first) */
    points: StrengthPoint[],
    /** the panel's range for the vector, in raw coefficients */
    coefficientRange: {min: number, max: number},
    /** stopped before the search finished: the limits are what was found so far, and no range should be set from them */
    stopped: boolean,
    /** the strength whose probe the stop cut short (not in `points`) */
    interrupted?: number,
    seconds: number
};

/**
 * Measures one strength: the conversation replies to each prompt under it (history cleared each time), and each
 * reply is gauged against the unsteered model and read on the vector.
 */
async function probeStrength(sigma: number, context: {loaded: LoadedModel, conversation: Conversation, controller: CalibrationSteering,
    meter: CoherenceMeter, reader: ConceptReader | undefined, options: AutoCalibrationOptions,
    prompts: readonly string[]}): Promise<StrengthPoint> {
    const {loaded, conversation, controller, meter, reader, options, prompts} = context;
    const entry = controller.state.get(options.name);
    const coefficient = sigma === 0 ? 0 : resolveSigma(sigma, options.name, entry.vector, options.calibration, entry.layers);
    controller.update((s) => s.setCoefficient(options.name, coefficient));
    const kls: number[] = [];
    const repetitions: number[] = [];
    const perplexities: number[] = [];
    const scores: number[] = [];
    const texts: string[] = [];
    for (const prompt of prompts) {
        if (options.signal?.aborted) break;
        await conversation.clear();
        const reply = await conversation.send(prompt, {signal: options.signal});
        texts.push(reply.text);
        if (reply.tokens.length === 0 || reply.context == null) continue;
        const gauge = await meter.measure({context: reply.context, reply: reply.tokens, steering: controller.appliedVector,
            policy: options.policy});
        kls.push(gauge.kl);
        repetitions.push(gauge.repetition);
        perplexities.push(gauge.perplexity);
        if (reader != null) scores.push(await readScore(loaded, reader, reply.tokens, controller, options.name));
    }
    return {sigma, coefficient: controller.state.get(options.name).coefficient, kl: mean(kls), repetition: mean(repetitions),
        perplexity: mean(perplexities), score: mean(scores), texts};
}

async function readScore(loaded: LoadedModel, reader: ConceptReader, tokens: readonly Token[], controller: CalibrationSteering,
    name: string): Promise<number> {
    const entry = controller.state.get(name);
    const bos = loaded.model.tokens.bos;
    const input = (bos != null ? [bos, ...tokens] : [...tokens]).slice(0, reader.maxTokens);
    const range = entry.layers;
    const layers = range && [...entry.vector.directions.keys()].filter((l) => l >= range.start && l <= range.end);
    try {
        return (await reader.read(input, entry.vector, {layers})).readout.z;
    } catch (err) {
        if (err instanceof UserFacingError) return NaN; // nothing to read at its layers
        throw err;
    }
}

export async function autoCalibrate(loaded: LoadedModel, conversation: Conversation, controller: CalibrationSteering,
    options: AutoCalibrationOptions): Promise<AutoCalibration> {
    const started = performance.now();
    const limits = options.limits ?? DEFAULT_LIMITS;
    const prompts = options.prompts ?? (conversation.mode === "raw" ? RAW_PROMPTS : CHAT_PROMPTS);
    if (prompts.length === 0) throw new UserFacingError("Calibration needs at least one prompt");
    const maxSigma = options.maxSigma ?? 2;
    const steps = options.steps ?? 5;
    const before = controller.state;
    before.get(options.name); // a name not loaded fails before anything runs
    // the other vectors stay as they are: the strength found is this vector's on top of them
    controller.update((s) => s.setEnabled(options.name, true));
    const maxTokens = Math.min(loaded.context.contextSize, 2048);
    const meter = new CoherenceMeter(loaded, {maxTokens});
    let reader: ConceptReader | undefined;
    try {
        reader = ConceptReader.create(loaded, {maxTokens: Math.min(512, maxTokens)});
    } catch (err) {
        if (!(err instanceof UserFacingError)) throw err;
    }
    const points: StrengthPoint[] = [];
    let interrupted: number | undefined;
    const probe = async (sigma: number) => {
        const point = await probeStrength(roundSigma(sigma), {loaded, conversation, controller, meter, reader, options, prompts});
        // stopped while it generated: its measures cover part of a reply at most, so it is neither a row nor a finding
        if (options.signal?.aborted) interrupted ??= point.sigma;
        else {
            points.push(point);
            options.onPoint?.(point);
        }
        return point;
    };
    try {
        const baseline = await probe(0);
        const ok = (p: StrengthPoint) => withinLimits(p, limits, baseline);
        const search = {maxSigma, steps, signal: options.signal};
        const positive = await searchLimit(probe, ok, {...search, sign: 1});
        const negative = await searchLimit(probe, ok, {...search, sign: -1});
        const coefficientAt = (sigma: number) => points.find((p) => p.sigma === sigma)?.coefficient ?? 0;
        return {
            name: options.name, prompts, limits, baseline, positive, negative, points,
            coefficientRange: {min: coefficientAt(negative.limit), max: coefficientAt(positive.limit)},
            stopped: positive.stopped || negative.stopped || (options.signal?.aborted ?? false),
            ...(interrupted != null ? {interrupted} : {}),
            seconds: (performance.now() - started) / 1000
        };
    } finally {
        controller.update(() => before);
        await conversation.clear();
        await meter.free();
        reader?.free();
    }
}
