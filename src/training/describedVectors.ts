/**
 * A control vector from a sentence (`train --describe "speaks like a pirate"`, `/vector new pirate "…"`): the
 * description becomes a recipe (see recipes.ts) whose two personas are, after repeng's
 * `"Pretend you're {persona} person making statements about the world."`:
 *
 *   positive  Pretend you're a person who fits this description: {description}. Make statements about the world.
 *   negative  Pretend you're a neutral person who does not fit this description: {description}. Make statements about the world.
 *
 * The opposite is "does not fit this description" said of an explicit neutral person, not an antonym: a sentence has
 * no antonym steer-chat could compute ("speaks like a pirate" → ?), and "does not {description}" would need the verb
 * conjugated ("does not speaks"). "Fits this description: …" reads for any phrase (a verb phrase, an adjective, a
 * noun). Both sides carry the description's words, so the difference is the persona, not the mere mention of
 * "pirate". The questions and answer starts below are asked of both personas, rendered through the model's chat
 * template (the persona as the system message), or as plain lines for a model without one, as recipes are.
 *
 * The vector is trained (trainControlVector, 20 % held out for the score) and cached per model like recipe vectors,
 * under `<trained>/<model hash>/described/<key>.gguf`, the key a SHA-256 of the description, the persona template's
 * version and the training options: a changed description (or option) trains again; the same one loads the file.
 */
import {createHash} from "node:crypto";
import path from "node:path";
import type {LoadedModel} from "../engine/runtime.js";
import {UserFacingError} from "../errors.js";
import {displayQuoted} from "../displayText.js";
import type {ControlVector} from "../steering/controlVector.js";
import {loadControlVector, saveControlVector} from "../steering/loadControlVector.js";
import type {LayerRange} from "../steering/mixControlVectors.js";
import type {DirectionMethod} from "./directionMethods.js";
import {modelTrainedDir} from "./recipeVectors.js";
import {renderRecipe, type Recipe} from "./recipes.js";
import {trainControlVector, type PositionMode, type TrainOptions, type TrainResult} from "./trainControlVector.js";

/** the longest description taken, in characters: a persona is one sentence, and it is repeated in every prompt */
export const MAX_DESCRIPTION_CHARS = 200;

/** bumped when the personas, questions or answer starts change, so vectors cached from the old ones train again */
const TEMPLATE_VERSION = 1;

const positivePersona = (description: string) =>
    `Pretend you're a person who fits this description: ${description}. Make statements about the world.`;
const negativePersona = (description: string) =>
    `Pretend you're a neutral person who does not fit this description: ${description}. Make statements about the world.`;

/** asked of both personas: everyday statements, so the contrast comes from the persona and not the topic */
const QUESTIONS = [
    "Tell me about your day.",
    "What do you think of the weather?",
    "Describe your neighbourhood.",
    "What is your favourite food?",
    "What would you do with a free afternoon?",
    "Tell me about a friend of yours."
];
const ANSWER_STARTS = ["I", "Well,", "Honestly,"];

/**
 * The description as it is used: whitespace runs (line breaks too) made one space, trimmed. Empty or longer than
 * MAX_DESCRIPTION_CHARS is refused with one line (what it quotes is escaped and cut short).
 */
export function checkDescription(text: string): string {
    const description = text.replace(/\s+/gu, " ").trim();
    if (description === "")
        throw new UserFacingError("The description is empty", 'describe the behaviour in a few words, e.g. --describe "speaks like a pirate"');
    const length = [...description].length;
    if (length > MAX_DESCRIPTION_CHARS)
        throw new UserFacingError(`The description is ${length} characters long, more than ${MAX_DESCRIPTION_CHARS}: ${displayQuoted(description, 40)}`,
            "describe the behaviour in one short sentence");
    return description;
}

/** The description as a recipe: its two personas, the questions and answer starts (checked first). */
export function describedRecipe(text: string): Recipe {
    const description = checkDescription(text);
    return {
        name: "described", description, positive: positivePersona(description), negative: negativePersona(description),
        questions: QUESTIONS, answerStarts: ANSWER_STARTS
    };
}

/** What `--dry-run` prints: the two personas and every pair's question and answer start, escaped. */
export function describedPairsText(text: string): string[] {
    const recipe = describedRecipe(text);
    const pairs = recipe.questions.flatMap((q) => recipe.answerStarts.map((start) => [q, start] as const));
    return [
        `${pairs.length} contrast pairs for ${displayQuoted(recipe.description, MAX_DESCRIPTION_CHARS)}: each question and answer start, ` +
        "asked of both personas (through the model's chat template, the persona as the system message; as three lines without one)",
        `positive persona: ${displayQuoted(recipe.positive, 400)}`,
        `negative persona: ${displayQuoted(recipe.negative, 400)}`,
        ...pairs.map(([question, start], i) => `  pair ${String(i + 1).padStart(2)}: ${displayQuoted(question)} → ${displayQuoted(start)}`)
    ];
}

/** How the vector is trained (train's flags); part of the cache key. */
export type DescribedTrainingOptions = {method?: DirectionMethod, positions?: PositionMode, scale?: "unit" | "typical", layers?: LayerRange,
    seed?: number};

/** The cache key: the description, the persona template's version and the training options. */
export function describedCacheKey(text: string, options: DescribedTrainingOptions = {}): string {
    const {method = "mean", positions = "last", scale = "unit", layers, seed = 0} = options;
    const key = JSON.stringify({version: TEMPLATE_VERSION, description: checkDescription(text), method, positions, scale,
        layers: layers ? [layers.start, layers.end] : null, seed});
    return createHash("sha256").update(key).digest("hex").slice(0, 24);
}

/** Where the vector for this description (and these options) is cached for this model. */
export async function describedVectorPath(loaded: Pick<LoadedModel, "modelPath">, text: string,
    options: DescribedTrainingOptions = {}): Promise<string> {
    return path.join(await modelTrainedDir(loaded), "described", `${describedCacheKey(text, options)}.gguf`);
}

export type DescribedVector = {
    file: string,
    vector: ControlVector,
    /** undefined when it came from the cache */
    trained?: Pick<TrainResult, "evaluatedTokens" | "seconds">
};

export type DescribedTrainer = (description: string,
    options?: DescribedTrainingOptions & Pick<TrainOptions, "onProgress" | "signal">) => Promise<DescribedVector>;

/**
 * The description's vector for this model: from the cache, or trained now (with progress; the signal stops it) and
 * cached. A cached file that does not load is trained again and replaced. `train` is trainControlVector but for tests.
 */
export async function ensureDescribedVector(loaded: LoadedModel, text: string,
    {onProgress, signal, train = trainControlVector, ...options}: DescribedTrainingOptions & Pick<TrainOptions, "onProgress" | "signal">
        & {train?: typeof trainControlVector} = {}): Promise<DescribedVector> {
    const recipe = describedRecipe(text);
    const file = await describedVectorPath(loaded, recipe.description, options);
    const cached = await loadControlVector(file).catch(() => undefined);
    if (cached != null) return {file, vector: cached};
    const result = await train(loaded, {...renderRecipe(recipe, loaded.model), method: options.method ?? "mean",
        positions: options.positions ?? "last", scale: options.scale, layers: options.layers, seed: options.seed, onProgress, signal});
    saveControlVector(file, result.vector);
    return {file, vector: result.vector, trained: {evaluatedTokens: result.evaluatedTokens, seconds: result.seconds}};
}

export function describedTrainerFor(loaded: LoadedModel): DescribedTrainer {
    return (description, options) => ensureDescribedVector(loaded, description, options);
}
