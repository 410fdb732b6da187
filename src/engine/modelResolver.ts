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

/** how long a download may go without a byte before it is given up (node-llama-cpp's downloader retries silently) */
export const DOWNLOAD_STALL_SECONDS = 30;

/** a Hugging Face user or repository name: letters, digits, `-`, `_` and `.`, not starting with a dot, at most 96 */
const HF_NAME = /^(?!\.)[A-Za-z0-9._-]{1,96}$/;

/**
 * Checks an `hf:` URI's form before node-llama-cpp sees it: `hf:user/repo:quant`, `hf:user/repo` or
 * `hf:user/repo/path/file.gguf` (optionally `#branch`). A malformed one (`hf:../../etc/passwd`) was sent to the network
 * as a file path and waited there without a word.
 */
export function checkRemoteModelUri(spec: string): void {
    const hf = /^(?:hf:(?:\/\/)?|huggingface:)(.*)$/.exec(spec);
    if (hf == null) {
        let url: URL | undefined;
        try {
            url = new URL(spec);
        } catch { /* refused below */ }
        if (url == null || !/^https?:$/.test(url.protocol) || url.hostname === "")
            throw new UserFacingError(`Not a model URL: ${spec}`, "give an https:// URL of a .gguf file, an hf:user/repo:quant URI or a local file");
        return;
    }
    const [body = "", branch] = hf[1]!.split("#", 2);
    const [user = "", repoAndTag = "", ...file] = body.split("/");
    const [repo = "", tag] = repoAndTag.split(":", 2);
    const fileOk = file.every((part) => part !== "" && part !== "." && part !== "..");
    const ok = HF_NAME.test(user) && HF_NAME.test(repo) && !user.includes("..") && !repo.includes("..") && fileOk &&
        (tag == null || (file.length === 0 && /^[A-Za-z0-9._-]{1,64}$/.test(tag))) && (branch == null || /^[A-Za-z0-9._/-]{1,128}$/.test(branch));
    if (!ok)
        throw new UserFacingError(`Not a Hugging Face model URI: ${spec}`,
            "use hf:user/repo:quant (e.g. hf:bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M) or hf:user/repo/file.gguf");
}

/**
 * Resolves --model to a local file path, downloading `hf:` URIs (with progress) when needed. A download that gets no
 * byte for `stallSeconds` is given up with a message naming the host (offline, a firewall that drops packets).
 */
export async function resolveModel(spec: string, {onProgress, signal, stallSeconds = DOWNLOAD_STALL_SECONDS}:
    {onProgress?: (p: DownloadProgress) => void, signal?: AbortSignal, stallSeconds?: number} = {}): Promise<string> {
    if (spec === DEMO_MODEL) return checkModelFile(demoModelPath());
    if (!isRemoteModel(spec)) return checkModelFile(spec);
    checkRemoteModelUri(spec);
    const stalled = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const watch = () => {
        clearTimeout(timer);
        timer = setTimeout(() => stalled.abort(), stallSeconds * 1000);
    };
    let downloaded = -1;
    watch();
    const either = signal ? AbortSignal.any([signal, stalled.signal]) : stalled.signal;
    // node-llama-cpp reads the file's size before it takes the signal, retrying that silently: raced, not only signalled
    const aborted = new Promise<never>((_, reject) => either.addEventListener("abort", () => reject(either.reason), {once: true}));
    try {
        return await Promise.race([aborted, resolveModelFile(spec, {directory: modelsDirectory(), cli: false, verify: false, signal: either,
            onProgress: (p) => {
                // any movement counts (a retried part starts again from a lower offset): only silence is a stall
                if (p.downloadedSize !== downloaded) watch();
                downloaded = p.downloadedSize;
                onProgress?.(p);
            }})]);
    } catch (err) {
        if (stalled.signal.aborted && !signal?.aborted)
            throw new UserFacingError(`Could not download ${spec}: no data from ${hostOf(spec)} for ${stallSeconds} s (offline?)`,
                "check the network, or pass a local model file: steer-chat --model path/to/model.gguf");
        const message = err instanceof Error ? err.message : String(err);
        if (/fetch failed|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|network|getaddrinfo/i.test(message + String((err as {cause?: unknown})?.cause ?? "")))
            throw new UserFacingError(`Offline: could not download ${spec}`,
                "pass a local model file instead: steer-chat --model path/to/model.gguf");
        throw new UserFacingError(`Could not resolve ${spec}: ${message}`,
            "check the URI (hf:user/repo:quant) or pass a local file with --model");
    } finally {
        clearTimeout(timer);
    }
}

function hostOf(spec: string): string {
    if (!/^https?:/.test(spec)) return "huggingface.co";
    try {
        return new URL(spec).host;
    } catch {
        return spec;
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
