/**
 * Finds control vectors by path, or by name. One rule says which file a name means, first found wins: the user's
 * vectors folder, then the vectors trained for the loaded model (/train, recipe cache), then the shipped vectors/.
 * Names are plain file names: they can never reach outside those folders.
 */
import {existsSync, readdirSync} from "node:fs";
import path from "node:path";
import {displayText} from "../displayText.js";
import {UserFacingError, VectorNotFoundError} from "../errors.js";
import {shippedVectorsDir, userVectorsDir} from "../config/paths.js";
import {loadControlVector} from "./loadControlVector.js";
import {topLayer, type ControlVector} from "./controlVector.js";
import type {VectorQuality} from "./vectorQuality.js";

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export const TRAINED_FOLDER_LABEL = "trained for this model";

/** The folders a name is looked up in, in order; `trainedDir` is the loaded model's recipe cache, when there is one. */
export function vectorFolders(trainedDir?: string): {label: string, dir: string}[] {
    return [{label: "user", dir: userVectorsDir()}, ...(trainedDir != null ? [{label: TRAINED_FOLDER_LABEL, dir: trainedDir}] : []),
        {label: "shipped", dir: shippedVectorsDir()}];
}

/** A file reference rather than a name from the vector folders (or a recipe). */
export function looksLikePath(ref: string) {
    return ref.includes("/") || ref.includes("\\") || ref.toLowerCase().endsWith(".gguf");
}

/** The display name of a vector: its file name without .gguf. */
export function vectorNameOf(file: string) {
    // a file name may hold control characters: the name is shown everywhere, so it is escaped once here
    return displayText(path.basename(file).replace(/\.gguf$/i, ""), 300);
}

/** Resolves a vector reference (a path, or a name in the vector folders) to a file path. */
export function findVectorFile(ref: string, trainedDir?: string): string {
    if (looksLikePath(ref)) {
        if (existsSync(ref)) return path.resolve(ref);
        if (ref.includes("/") || ref.includes("\\"))
            throw new UserFacingError(`Control vector not found: ${ref}`, "check the path, or run steer-chat vectors to list the available vectors");
    }
    const name = ref.replace(/\.gguf$/i, "");
    if (!SAFE_NAME.test(name) || name.includes(".."))
        throw new UserFacingError(`Invalid vector name "${ref}"`, "names are file names from the vectors folders (letters, digits, . _ -); pass a path for other files");
    for (const {dir} of vectorFolders(trainedDir)) {
        const candidate = path.join(dir, `${name}.gguf`);
        // the name check already rules out traversal; this keeps it true if the rules ever loosen
        if (path.relative(dir, candidate).startsWith("..")) continue;
        if (existsSync(candidate)) return candidate;
    }
    throw new VectorNotFoundError(name, vectorFolders(trainedDir).map((f) => f.dir));
}

/** `shadowedBy`: the folder of an earlier file with the same name, which is the one the name means */
export type VectorListing = {name: string, file: string, folder: string, shadowedBy?: string} & (
    {ok: true, layerCount: number, topLayer: number, nEmbd: number, modelHint?: string, quality?: VectorQuality}
    | {ok: false, problem: string});

/**
 * Every vector in the folders, in lookup order, with its layer count, n_embd and model hint (or why it cannot be
 * read); a file whose name an earlier folder already has is marked with that folder.
 */
export async function listVectors(trainedDir?: string): Promise<VectorListing[]> {
    const listings: VectorListing[] = [];
    const firstFolder = new Map<string, string>();
    for (const {label, dir} of vectorFolders(trainedDir)) {
        let files: string[] = [];
        try {
            files = readdirSync(dir).filter((f) => f.toLowerCase().endsWith(".gguf")).sort();
        } catch {
            continue;
        }
        for (const f of files) {
            const file = path.join(dir, f);
            const key = f.replace(/\.gguf$/i, "");
            const shadowedBy = firstFolder.get(key);
            if (shadowedBy == null) firstFolder.set(key, label);
            const shadow = shadowedBy != null ? {shadowedBy} : {};
            try {
                const vector: ControlVector = await loadControlVector(file);
                listings.push({name: vectorNameOf(f), file, folder: label, ...shadow, ok: true, layerCount: vector.directions.size,
                    topLayer: topLayer(vector), nEmbd: vector.nEmbd, modelHint: vector.modelHint, quality: vector.quality});
            } catch (err) {
                listings.push({name: vectorNameOf(f), file, folder: label, ...shadow,
                    ok: false, problem: displayText((err as Error).message, 1000)});
            }
        }
    }
    return listings;
}
