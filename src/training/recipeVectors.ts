/**
 * Recipe vectors are trained for the loaded model on first use and cached per model, keyed by the model file's
 * SHA-256 (itself cached by path, size and modification time so big models are hashed once).
 */
import path from "node:path";
import {dataDir} from "../config/paths.js";
import type {LoadedModel} from "../engine/runtime.js";
import {modelFileHash} from "../engine/modelHash.js";
import {loadControlVector, saveControlVector} from "../steering/loadControlVector.js";
import {loadRecipe, recipeExists, renderRecipe} from "./recipes.js";
import {UserFacingError, VectorMismatchError, VectorNotFoundError} from "../errors.js";
import type {SteeringController} from "../steering/steeringController.js";
import {findVectorFile} from "../steering/vectorLibrary.js";
import type {LayerRange} from "../steering/mixControlVectors.js";
import {looksLikePath} from "../steering/vectorLibrary.js";
import {trainControlVector} from "./trainControlVector.js";

export {modelFileHash};

/** Where recipe vectors are cached: one folder per model (by file hash) below this one. */
export function trainedVectorsDir(): string {
    return path.join(dataDir(), "trained");
}

/** The folder of vectors trained for this model: the third place a name is looked up (see vectorLibrary.ts). */
export async function modelTrainedDir(loaded: Pick<LoadedModel, "modelPath">): Promise<string> {
    return path.join(trainedVectorsDir(), (await modelFileHash(loaded.modelPath)).slice(0, 16));
}

export async function recipeVectorPath(loaded: LoadedModel, recipe: string): Promise<string> {
    return path.join(await modelTrainedDir(loaded), `${recipe}.gguf`);
}

/**
 * The recipe's vector for this model: from the cache, or trained now (with progress) and cached. A cached file that
 * cannot be loaded (empty, cut short or damaged, not a regular file) is trained again, and replaced.
 */
export async function ensureRecipeVector(loaded: LoadedModel, name: string, {force = false, onProgress, signal}:
    {force?: boolean, onProgress?: (done: number, total: number) => void, signal?: AbortSignal} = {}): Promise<string> {
    const recipe = loadRecipe(name);
    const file = await recipeVectorPath(loaded, name);
    if (!force && await parses(file)) return file;
    const {vector} = await trainControlVector(loaded, {...renderRecipe(recipe, loaded.model), method: "mean", positions: "last", onProgress, signal});
    saveControlVector(file, vector);
    return file;
}

async function parses(file: string): Promise<boolean> {
    return loadControlVector(file).then(() => true, () => false);
}

/** Whether a name means a file in the loaded model's recipe cache (the user's vectors folder comes first). */
function meansCachedFile(controller: SteeringController, ref: string): boolean {
    if (controller.trainedDir == null || looksLikePath(ref)) return false;
    try {
        return path.dirname(path.resolve(findVectorFile(ref, controller.trainedDir))) === path.resolve(controller.trainedDir);
    } catch {
        return false;
    }
}

/**
 * After /train: names now also look in this model's trained folder. Says truly what `/vector add NAME` will load:
 * the new file, or a file of the same name in the user's folder, which comes first.
 */
export function adoptTrainedVector(controller: SteeringController | undefined, name: string, file: string): string {
    if (controller) controller.trainedDir = path.dirname(file);
    let means: string | undefined;
    try {
        means = findVectorFile(name, path.dirname(file));
    } catch { /* the name finds nothing: only the path reaches the file */ }
    if (means != null && path.resolve(means) === path.resolve(file)) return `/vector add ${name} uses it`;
    return means != null ? `/vector add ${name} still means ${means} (your vectors folder comes first); /vector add ${file} uses the new one`
        : `/vector add ${file} uses it`;
}

export type RecipeTrainer = (name: string,
    options?: {force?: boolean, onProgress?: (done: number, total: number) => void, signal?: AbortSignal}) => Promise<string>;

export function recipeTrainerFor(loaded: LoadedModel): RecipeTrainer {
    return (name, options) => ensureRecipeVector(loaded, name, options);
}

export type RecipeFallback = {train?: RecipeTrainer, onProgress?: (done: number, total: number) => void, signal?: AbortSignal};

/**
 * Loads a vector by path or name; a name with no vector that fits this model, but with a recipe, is trained for the
 * model (or taken from the cache) first. Shared by --vector, /vector add and presets.
 */
export async function loadEntryOrRecipe(controller: SteeringController, ref: string, coefficient: number,
    {layers, enabled, train, onProgress, signal}: {layers?: LayerRange, enabled?: boolean} & RecipeFallback = {}) {
    try {
        const entry = await controller.loadEntry(ref, coefficient, {layers, enabled});
        // a shipped vector made for a deeper model would steer only some layers: this model's own is better
        if (entry.ignoredLayers != null && train != null && !looksLikePath(ref) && recipeExists(ref))
            return controller.loadEntry(await train(ref, {onProgress, signal}), coefficient, {layers, enabled});
        return entry;
    } catch (err) {
        const fitsNothing = err instanceof VectorNotFoundError || err instanceof VectorMismatchError;
        // a recipe's cached vector that cannot be loaded is only a cache: trained again, as if it were not there
        const brokenCache = !fitsNothing && err instanceof UserFacingError && meansCachedFile(controller, ref);
        if (train == null || !(fitsNothing || brokenCache) || !recipeExists(ref)) throw err;
        const file = await train(ref, {onProgress, signal, ...(brokenCache ? {force: true} : {})});
        return controller.loadEntry(file, coefficient, {layers, enabled});
    }
}
