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
import {FileWriteError} from "../engine/atomicWrite.js";
import type {ControlVector} from "../steering/controlVector.js";
import type {SteeringEntry} from "../steering/steeringState.js";
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
 * A recipe's vector for the model: `file` is where it is cached; `unsaved` says why it is not there (the cache could
 * not be written: a full disk, a folder in the way), in which case it is used from memory and trained again next time.
 */
export type TrainedRecipe = {file: string, vector: ControlVector, unsaved?: FileWriteError};

/**
 * The recipe's vector for this model: from the cache, or trained now (with progress) and cached. A cached file that
 * cannot be loaded (empty, cut short or damaged, not a regular file) is trained again, and replaced. A cache that
 * cannot be written is skipped, as every cache is (atomicWrite.ts): the vector is still returned.
 */
export async function ensureRecipeVector(loaded: LoadedModel, name: string, {force = false, onProgress, signal}:
    {force?: boolean, onProgress?: (done: number, total: number) => void, signal?: AbortSignal} = {}): Promise<TrainedRecipe> {
    const recipe = loadRecipe(name);
    const file = await recipeVectorPath(loaded, name);
    if (!force) {
        const cached = await loadControlVector(file).catch(() => undefined);
        if (cached != null) return {file, vector: cached};
    }
    const {vector} = await trainControlVector(loaded, {...renderRecipe(recipe, loaded.model), method: "mean", positions: "last", onProgress, signal});
    try {
        saveControlVector(file, vector);
        return {file, vector};
    } catch (err) {
        if (err instanceof FileWriteError) return {file, vector, unsaved: err};
        throw err;
    }
}

/** The note for a recipe vector used from memory because its cache could not be written. */
export function unsavedNote(name: string, unsaved: FileWriteError): string {
    return `${name}: trained for this model but not cached (${unsaved.message}); it is trained again next time`;
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
    options?: {force?: boolean, onProgress?: (done: number, total: number) => void, signal?: AbortSignal}) => Promise<TrainedRecipe>;

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
            return entryOfTrained(controller, ref, await train(ref, {onProgress, signal}), coefficient, {layers, enabled});
        return entry;
    } catch (err) {
        const fitsNothing = err instanceof VectorNotFoundError || err instanceof VectorMismatchError;
        // a recipe's cached vector that cannot be loaded is only a cache: trained again, as if it were not there
        const brokenCache = !fitsNothing && err instanceof UserFacingError && meansCachedFile(controller, ref);
        if (train == null || !(fitsNothing || brokenCache) || !recipeExists(ref)) throw err;
        const trained = await train(ref, {onProgress, signal, ...(brokenCache ? {force: true} : {})});
        return entryOfTrained(controller, ref, trained, coefficient, {layers, enabled});
    }
}

/** A trained recipe's entry, from memory (its file may not have been written), with a note when it was not cached. */
function entryOfTrained(controller: SteeringController, name: string, trained: TrainedRecipe, coefficient: number,
    options: {layers?: LayerRange, enabled?: boolean}): SteeringEntry {
    const entry = controller.entryOf(trained.file, trained.vector, coefficient, options);
    if (trained.unsaved == null) return entry;
    return {...entry, warnings: [...entry.warnings ?? [], unsavedNote(name, trained.unsaved)]};
}
