/**
 * Loads llama.cpp (through node-llama-cpp), a model and one context, turning node-llama-cpp's failures into
 * one-line errors that name the file and the fix.
 */
import {closeSync, fstatSync, readSync} from "node:fs";
import path from "node:path";
import {getLlama, InsufficientMemoryError, LlamaLogLevel, readGgufFileInfo, type Llama, type LlamaContext, type LlamaModel} from "node-llama-cpp";
import {readGgufHeader, type ByteSource, type GgufHeader, type GgufHeaderResult} from "../gguf/ggufHeaderCheck.js";
import {modelProblem, type ModelProblem} from "../gguf/modelCheck.js";
import {displayText} from "../displayText.js";
import {UserFacingError} from "../errors.js";
import {attachThreadPool, type AttachedThreadPool} from "../native/threadPool.js";
import {checkModelFile} from "./modelFile.js";
import {namingFile, openRegularFile} from "./userFiles.js";

export type GpuOption = "auto" | false;

export type RuntimeOptions = {
    gpu?: GpuOption,
    /** context size in tokens; defaults to the model's training context, capped at 4096 */
    contextSize?: number,
    threads?: number,
    /** sequences the context holds (default 1; the server batches requests on several), each of contextSize */
    sequences?: number,
    debug?: boolean
};

/** node-llama-cpp's default batch size for a context of one sequence: a context of several keeps it, so a prompt is
 * evaluated in the batches it is evaluated in alone */
const SINGLE_SEQUENCE_BATCH = 512;

export type LoadedModel = {
    llama: Llama,
    model: LlamaModel,
    context: LlamaContext,
    modelPath: string,
    /** a short display name: the file name */
    modelName: string,
    dispose(): Promise<void>
};

const llamaByGpu = new Map<string, Promise<Llama>>();

/** One Llama instance per GPU setting per process: loading the bindings is slow and they are shareable. */
export function getRuntime({gpu = "auto", debug = false}: Pick<RuntimeOptions, "gpu" | "debug"> = {}): Promise<Llama> {
    const key = `${gpu}`;
    let llama = llamaByGpu.get(key);
    if (llama == null) {
        // llama.cpp's own error logs would add lines to ours; steer-chat reports failures itself (--debug shows them)
        llama = getLlama({gpu, logLevel: debug ? LlamaLogLevel.warn : LlamaLogLevel.disabled, progressLogs: false});
        llamaByGpu.set(key, llama);
    }
    return llama;
}

export const DEFAULT_MAX_CONTEXT = 4096;
/** the smallest context steer-chat runs with (--context-size has the same minimum) */
export const MIN_CONTEXT_SIZE = 16;
/** node-llama-cpp reads the training context as a signed 32-bit number */
const MAX_TRAIN_CONTEXT = 2 ** 31 - 1;

/** The file as a ByteSource for the header walk: it reads only what the walk asks for. */
function fileSource(fd: number, file: string): ByteSource {
    return {
        size: fstatSync(fd).size,
        read(offset, length) {
            const buffer = Buffer.alloc(length);
            let filled = 0;
            while (filled < length) {
                const n = namingFile(file, () => readSync(fd, buffer, filled, length - filled, offset + filled));
                if (n === 0) break;
                filled += n;
            }
            return buffer.subarray(0, filled);
        }
    };
}

function readModelHeader(resolvedPath: string): GgufHeaderResult {
    const fd = openRegularFile(resolvedPath, "Model path");
    try {
        return readGgufHeader(fileSource(fd, resolvedPath));
    } finally {
        closeSync(fd);
    }
}

/** The model's training context, when it cannot be used as the default context size (0, 1, past 2^31). */
function unusableTrainContext(header: GgufHeader): {key: string, value: number} | undefined {
    const architecture = header.metadata.get("general.architecture");
    if (architecture?.kind !== "string") return undefined;
    const key = `${architecture.value}.context_length`;
    const value = header.metadata.get(key);
    if (value?.kind !== "number") return undefined;
    return value.value < MIN_CONTEXT_SIZE || value.value > MAX_TRAIN_CONTEXT ? {key, value: value.value} : undefined;
}

const MODEL_PROBLEM_LEADS: Record<ModelProblem["part"], string> = {
    "hyper-parameter": "has a hyper-parameter llama.cpp cannot run with",
    "tensor": "has a tensor that does not fit its header",
    "vocabulary": "has a vocabulary llama.cpp cannot read",
    "chat template": "has a chat template steer-chat cannot read"
};

/** Reads the GGUF header to refuse, with a message, what llama.cpp would abort the whole process on. */
async function checkModelShape(resolvedPath: string, modelPath: string, contextSize: number | undefined) {
    // node-llama-cpp's reader trusts the header's counts (a corrupt one surfaces as Node's "size is out of range"),
    // so walk the whole header first, checking every count and length against the bytes left in the file
    const {header, problem} = readModelHeader(resolvedPath);
    if (problem != null)
        throw new UserFacingError(`${modelPath} is not a usable GGUF model: ${problem}`, "re-download or re-convert the file");
    const found = modelProblem(header);
    if (found != null)
        throw new UserFacingError(`${modelPath} ${MODEL_PROBLEM_LEADS[found.part]}: ${found.problem}`,
            "the file is corrupt or was converted wrongly; re-download or re-convert it");
    const trainContext = contextSize == null ? unusableTrainContext(header) : undefined;
    if (trainContext != null)
        throw new UserFacingError(`${modelPath} gives its context length as ${trainContext.value} (${trainContext.key})`,
            `pass a context size with --context-size N (at least ${MIN_CONTEXT_SIZE})`);
    try {
        await readGgufFileInfo(resolvedPath, {readTensorInfo: false, logWarnings: false, sourceType: "filesystem"});
    } catch (err) {
        throw new UserFacingError(`Could not read the GGUF header of ${modelPath}: ${(err as Error).message.split("\n")[0]}`,
            "the file is corrupt or cut short; re-download it");
    }
}

export async function loadModel(modelPath: string, options: RuntimeOptions = {}): Promise<LoadedModel> {
    const resolvedPath = checkModelFile(modelPath);
    await checkModelShape(resolvedPath, modelPath, options.contextSize);
    const llama = await getRuntime(options);
    let model: LlamaModel;
    try {
        model = await llama.loadModel({modelPath: resolvedPath});
    } catch (err) {
        throw explainLoadError(err, modelPath, "model");
    }
    const contextSize = options.contextSize ?? Math.min(model.trainContextSize, DEFAULT_MAX_CONTEXT);
    let context: LlamaContext;
    const threads = options.threads ?? defaultThreads(llama);
    try {
        const sequences = Math.max(1, Math.floor(options.sequences ?? 1));
        context = await model.createContext({contextSize, threads,
            ...sequences > 1 ? {sequences, batchSize: Math.min(contextSize, SINGLE_SEQUENCE_BATCH)} : {}});
    } catch (err) {
        await model.dispose();
        throw explainLoadError(err, modelPath, "context");
    }
    const pool = attachPool(context, threads, options.debug === true);
    return {
        llama, model, context, modelPath: resolvedPath,
        modelName: displayText(path.basename(resolvedPath)),
        async dispose() {
            await context.dispose();
            // after the context: no decode can still be running on the pool
            pool?.free();
            await model.dispose();
        }
    };
}

/**
 * A persistent thread pool for the context's CPU work, as llama.cpp's tools attach one: without it ggml starts and
 * joins its threads at every decode. Where the helper cannot attach one, the context runs as before, said once
 * under --debug.
 */
function attachPool(context: LlamaContext, threads: number, debug: boolean): AttachedThreadPool | undefined {
    const result = attachThreadPool(context, threads);
    if (result.attached) return result.pool;
    if (debug && !poolNoteShown) process.stderr.write(`steer-chat: no persistent thread pool (${result.reason}); ggml starts threads at every decode\n`);
    poolNoteShown = true;
    return undefined;
}

let poolNoteShown = false;

/** one thread per core, or STEER_CHAT_THREADS (the test suite sets 1: on a loaded 2-core machine, fewer spinning threads) */
function defaultThreads(llama: Llama): number {
    const fromEnv = Number(process.env.STEER_CHAT_THREADS);
    return Number.isInteger(fromEnv) && fromEnv >= 1 ? fromEnv : llama.cpuMathCores;
}

export function explainLoadError(err: unknown, modelPath: string, what: "model" | "context"): Error {
    if (err instanceof UserFacingError) return err;
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof InsufficientMemoryError || /memory|too large|VRAM|RAM/i.test(message))
        return new UserFacingError(`Not enough memory to load the ${what} for ${modelPath}`,
            what === "context"
                ? "use a smaller --context-size, or a smaller (more quantised) model"
                : "use a smaller or more quantised model (e.g. a Q4_K_M file), or --gpu false to use system RAM");
    return new UserFacingError(`Could not load ${modelPath}: ${message}`,
        "check that the file is a complete GGUF model supported by llama.cpp (re-download it if it was cut short)");
}
