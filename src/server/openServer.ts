/**
 * A server for a loaded model: its default steering from the flags (--vector, --layers, --preset, --steer, set up
 * as for the chat: a recipe vector named there is trained on first use), the settings a request leaves out, the
 * presets, and the HTTP app. Listening and signals are the CLI's (serveCommand.ts); tests listen on port 0.
 */
import {statSync} from "node:fs";
import path from "node:path";
import {UserFacingError} from "../errors.js";
import type {LoadedModel} from "../engine/runtime.js";
import {DEFAULT_SAMPLING} from "../engine/sampling.js";
import {modelCalibration} from "../steering/calibration.js";
import {SteeringState} from "../steering/steeringState.js";
import type {ModelCalibration} from "../steering/strengthUnits.js";
import {PresetStore} from "../presets/presetStore.js";
import {setupSteering, type SessionSetupOptions} from "../session/setupSteering.js";
import {buildServer, type ServerOptions, type SteerServer} from "./app.js";
import {SteeredModel} from "./steeredModel.js";

export const DEFAULT_QUEUE = 16;
/** requests with equal steering generated together by default (serve --parallel) */
export const DEFAULT_PARALLEL = 4;

/** the sequences a server's context needs: one per request of a batch, and the one requests alone run on */
export function serverSequences(parallel = DEFAULT_PARALLEL): number {
    return parallel > 1 ? parallel + 1 : 1;
}

export type OpenServerOptions = Pick<SessionSetupOptions, "vectors" | "layers" | "preset" | "system" | "temperature" | "seed" | "steer"> & ServerOptions & {
    /** a request's max_tokens when it gives none, and the most it may ask for (default 1024) */
    maxTokens?: number,
    /** the most requests waiting for their turn (default 16) */
    queue?: number,
    /** start-up notes (why steering is unavailable, what a preset skipped) */
    onNote?: (note: string) => void,
    onTrainProgress?: (done: number, total: number) => void
};

export type OpenedServer = SteerServer & {model: SteeredModel};

export async function openServer(loaded: LoadedModel, options: OpenServerOptions): Promise<OpenedServer> {
    let measured: Promise<ModelCalibration> | undefined;
    const calibration = () => (measured ??= modelCalibration(loaded).catch((err: unknown) => {
        measured = undefined; // measured again next time
        throw err;
    }));
    const setup = await setupSteering(loaded, options, options.onTrainProgress, undefined, calibration);
    // whether steering acts: checked before the first request (about 10 tokens; see steeringActsCheck.ts)
    const ignored = await setup.checkSteering?.();
    for (const note of [...setup.notes, ...ignored ? [ignored] : []]) options.onNote?.(note);
    let presets: PresetStore | undefined;
    try {
        presets = new PresetStore();
        for (const note of presets.notices) options.onNote?.(note);
    } catch (err) {
        if (!(err instanceof UserFacingError)) throw err;
        options.onNote?.(`Presets are unavailable: ${err.toLine()}`);
    }
    const controller = setup.controller;
    const model = new SteeredModel(loaded, {
        controller,
        why: controller == null ? setup.notes[0] : undefined,
        defaultSteering: {state: controller?.state ?? new SteeringState(), policy: options.steer, sigmas: [],
            ...setup.preset && options.preset != null ? {preset: {...setup.preset, name: options.preset}} : {}},
        flags: {systemPrompt: options.system, steer: options.steer,
            sampling: {...options.temperature != null ? {temperature: options.temperature} : {},
                ...options.seed != null ? {seed: options.seed} : {}}},
        maxTokens: options.maxTokens ?? DEFAULT_SAMPLING.maxTokens,
        queueLimit: options.queue ?? DEFAULT_QUEUE,
        presets,
        calibration
    }, path.basename(loaded.modelPath).replace(/\.gguf$/i, ""), Math.floor(statSync(loaded.modelPath).mtimeMs / 1000));
    return {...buildServer(model, options), model};
}
