/**
 * A model's strength calibration (see strengthUnits.ts for what σ means): each steerable layer's typical hidden-state
 * norm, measured once on a short neutral text with the capture context, and cached per model (keyed by the model
 * file's SHA-256, like trained vectors) in `<data>/calibration/<hash>.json`.
 */
import {createHash} from "node:crypto";
import path from "node:path";
import {dataDir} from "../config/paths.js";
import {writeCacheFile} from "../engine/atomicWrite.js";
import {tokenizePrompt} from "../engine/generateTokens.js";
import {modelFileHash} from "../engine/modelHash.js";
import {readCacheFile} from "../engine/userFiles.js";
import type {LoadedModel} from "../engine/runtime.js";
import {UserFacingError} from "../errors.js";
import {checkedContextInfo, loadNativeSteering} from "../native/steeringBridge.js";
import type {ControlVector} from "./controlVector.js";
import {NEUTRAL_BASELINE_TEXT} from "./conceptReader.js";
import type {LayerRange} from "./mixControlVectors.js";
import {CALIBRATION_VERSION, calibrationProblem, coefficientForSigma, sigmaForCoefficient, typicalNorm, UncalibratedVectorError,
    type ModelCalibration} from "./strengthUnits.js";

/** The text whose hidden states set the scale: plain prose, the read-out's neutral baseline. */
export const CALIBRATION_TEXT = NEUTRAL_BASELINE_TEXT;

export function calibrationDir(): string {
    return path.join(dataDir(), "calibration");
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Measures the model's calibration now (no cache). Deterministic: one batch on a fresh capture context. */
export async function measureCalibration(loaded: LoadedModel, {text = CALIBRATION_TEXT, modelHash}: {text?: string,
    modelHash?: string} = {}): Promise<ModelCalibration> {
    const status = loadNativeSteering();
    if (!status.available) throw new UserFacingError(`Calibration is unavailable: ${status.reason}`, status.fix);
    const info = checkedContextInfo(status.native, loaded.context, loaded.model, "Calibration");
    const tokens = tokenizePrompt(loaded.model, text);
    const skip = tokens[0] === loaded.model.tokens.bos ? 1 : 0;
    if (tokens.length - skip < 2) throw new UserFacingError("The calibration text is too short", "give a text of a few sentences");
    const capture = status.native.createCapture(loaded.context, tokens.length, loaded.context.currentThreads || 1);
    let states: Float32Array[];
    try {
        states = await capture.capture(tokens, {allRows: true});
    } finally {
        capture.free();
    }
    const layers = [];
    for (let layer = 1; layer < info.nLayer; layer++) {
        const norm = typicalNorm(states[layer]!.subarray(skip * info.nEmbd), info.nEmbd);
        if (!(norm > 0) || !Number.isFinite(norm))
            throw new UserFacingError(`Calibration failed: layer ${layer}'s hidden states have norm ${norm}`, "the model's weights look broken");
        layers.push({layer, typicalNorm: norm});
    }
    return {
        version: CALIBRATION_VERSION, modelHash: modelHash ?? await modelFileHash(loaded.modelPath),
        nEmbd: info.nEmbd, nLayer: info.nLayer, tokens: tokens.length - skip, textHash: sha256(text), layers
    };
}

/**
 * The model's calibration: from the cache, or measured now and cached. A cache file that is damaged, of another
 * version or text, or of another shape, or that cannot be read, is measured again; one that cannot be written is
 * skipped (measured again next time).
 */
export async function modelCalibration(loaded: LoadedModel, {dir = calibrationDir(), force = false}: {dir?: string,
    force?: boolean} = {}): Promise<ModelCalibration> {
    const modelHash = await modelFileHash(loaded.modelPath);
    const file = path.join(dir, `${modelHash.slice(0, 16)}.json`);
    if (!force) {
        const cached = readCachedCalibration(file);
        if (cached != null && cached.modelHash === modelHash && cached.textHash === sha256(CALIBRATION_TEXT)) return cached;
    }
    const calibration = await measureCalibration(loaded, {modelHash});
    writeCacheFile(file, JSON.stringify(calibration, null, 2) + "\n");
    return calibration;
}

/** a calibration is a few dozen bytes a layer */
const MAX_CALIBRATION_BYTES = 4 * 1024 * 1024;

/** A cached calibration, or undefined when the file is missing, unreadable or not a valid calibration. */
export function readCachedCalibration(file: string): ModelCalibration | undefined {
    const bytes = readCacheFile(file, MAX_CALIBRATION_BYTES);
    if (bytes == null) return undefined;
    try {
        const value: unknown = JSON.parse(bytes.toString("utf8"));
        return calibrationProblem(value) == null ? value as ModelCalibration : undefined;
    } catch {
        return undefined;
    }
}

/** σ → coefficient with a one-line error for the user when the vector has no calibrated layer. */
export function resolveSigma(sigma: number, name: string, vector: ControlVector, calibration: ModelCalibration,
    range?: LayerRange): number {
    try {
        return coefficientForSigma(sigma, vector, calibration, range);
    } catch (err) {
        if (err instanceof UncalibratedVectorError)
            throw new UserFacingError(`${name} has no strength in σ: ${err.message}`, "give it a raw coefficient instead (NAME:C)");
        throw err;
    }
}

/** coefficient → σ, undefined when the vector has no calibrated layer (the UI then shows the raw coefficient only). */
export function sigmaOf(coefficient: number, vector: ControlVector, calibration: ModelCalibration, range?: LayerRange): number | undefined {
    try {
        return sigmaForCoefficient(coefficient, vector, calibration, range);
    } catch (err) {
        if (err instanceof UncalibratedVectorError) return undefined;
        throw err;
    }
}
