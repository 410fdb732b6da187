/**
 * Where models come from: a local path, a node-llama-cpp `hf:` URI (downloaded into the models folder), or a
 * pick from the GGUF files already in that folder.
 */
import {readdirSync, statSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {resolveModelFile} from "node-llama-cpp";
import {UserFacingError} from "../errors.js";
import {checkModelFile} from "./modelFile.js";
import {demoModelPath} from "../config/paths.js";

/** A small instruct model of the llama architecture, which applies control vectors in llama.cpp. */
export const RECOMMENDED_MODEL_URI = "hf:bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M";

/** node-llama-cpp's own models folder, so models downloaded by its CLI show up here too. */
export function modelsDirectory(): string {
    return process.env.STEER_CHAT_MODELS_DIR ?? path.join(os.homedir(), ".node-llama-cpp", "models");
}

export type LocalModel = {path: string, name: string, sizeBytes: number};

export function listLocalModels(directory = modelsDirectory()): LocalModel[] {
    const found: LocalModel[] = [];
    const visit = (dir: string, depth: number) => {
        let entries;
        try {
            entries = readdirSync(dir, {withFileTypes: true});
        } catch {
            return;
        }
        for (const entry of entries) {
            const full = path.join(dir, entry.name);
            // statSync follows links, so a linked model or folder counts as what it points at; a dangling one is skipped
            let stat;
            try {
                stat = statSync(full);
            } catch {
                continue;
            }
            if (stat.isDirectory() && depth < 2) visit(full, depth + 1);
            else if (stat.isFile() && entry.name.toLowerCase().endsWith(".gguf"))
                found.push({path: full, name: path.relative(directory, full), sizeBytes: stat.size});
        }
    };
    visit(directory, 0);
    return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** `--model demo`: the built-in TinyStories model, a base model with no chat template (so it opens in raw mode) */
export const DEMO_MODEL = "demo";
export const DEMO_MODEL_LABEL = "built-in demo (TinyStories 260K, offline)";
/** the demo's replies, unless --max-tokens says otherwise: a tiny story model rambles on to any limit, 1,024 is minutes of text */
export const DEMO_MAX_TOKENS = 200;
/** the demo chat's first lines: what to type, and which vectors and presets show its steering */
export const DEMO_HINT = 'Demo: a tiny story model that continues text (raw mode). Try "Once upon a time", then /vector add sue or tim ' +
    "(whom the story is about) and send it again, or /preset load about-tim; /compare shows a reply with and without steering";

export function isRemoteModel(spec: string) {
    return /^(hf:|huggingface:|https?:\/\/)/.test(spec);
}

export type DownloadProgress = {downloadedSize: number, totalSize: number};

/** Resolves --model to a local file path, downloading `hf:` URIs (with progress) when needed. */
export async function resolveModel(spec: string,
    {onProgress, signal}: {onProgress?: (p: DownloadProgress) => void, signal?: AbortSignal} = {}): Promise<string> {
    if (spec === DEMO_MODEL) return checkModelFile(demoModelPath());
    if (!isRemoteModel(spec)) return checkModelFile(spec);
    try {
        return await resolveModelFile(spec, {directory: modelsDirectory(), onProgress, signal, cli: false, verify: false});
    } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (/fetch failed|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|network|getaddrinfo/i.test(message + String((err as {cause?: unknown})?.cause ?? "")))
            throw new UserFacingError(`Offline: could not download ${spec}`,
                "pass a local model file instead: steer-chat --model path/to/model.gguf");
        throw new UserFacingError(`Could not resolve ${spec}: ${message}`,
            "check the URI (hf:user/repo:quant) or pass a local file with --model");
    }
}

export function formatBytes(bytes: number): string {
    const units = ["B", "KB", "MB", "GB", "TB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
    }
    return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
