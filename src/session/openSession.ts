/**
 * Builds a ChatSession for a loaded model from what the user asked for: the steering (--vector, --layers,
 * --preset), a conversation that applies it before each turn, the presets, the recipe trainer and, with steering,
 * the live read-out. `ask`, the chat and the bench all start here.
 */
import {createConversation, type ConversationMode} from "../engine/conversation.js";
import {errorMessage} from "../errors.js";
import type {LoadedModel} from "../engine/runtime.js";
import type {SamplingOptions} from "../engine/sampling.js";
import {PresetStore} from "../presets/presetStore.js";
import {ReplyReader} from "../steering/replyReadout.js";
import {recipeTrainerFor} from "../training/recipeVectors.js";
import {describedTrainerFor} from "../training/describedVectors.js";
import {ChatSession, type PolicyBox} from "./chatSession.js";
import {CoherenceMeter} from "../steering/coherenceMeter.js";
import {replyOnlySettings} from "../steering/steerPolicy.js";
import {conditionOf, gatedSteering} from "../steering/conditionGate.js";
import {SteeringGates} from "./steeringGates.js";
import {autoCalibrate} from "../steering/autoCalibrate.js";
import {modelCalibration} from "../steering/calibration.js";
import type {ModelCalibration} from "../steering/strengthUnits.js";
import {setupSteering, steeringHooks, type SessionSetupOptions} from "./setupSteering.js";
import {defaultSettings, givenOnly, presetLayer, Settings} from "./settings.js";

export type OpenSessionOptions = SessionSetupOptions & {
    mode: ConversationMode,
    /** the live read-out of each reply on the loaded vectors (the chat; default false) */
    readout?: boolean,
    /** progress of a recipe trained on first use by --vector or --preset */
    onTrainProgress?: (done: number, total: number) => void,
    /** stops that training */
    signal?: AbortSignal,
    /** sampling defaults for this model, under a preset's and the flags' (not pinned: a preset may change them) */
    defaultSampling?: Partial<SamplingOptions>
};

export type OpenedSession = {
    session: ChatSession,
    /** start-up notes: why steering is unavailable, what a preset skipped, architecture warnings */
    notes: string[],
    /** the check that steering acts on this model, not started: its one-line warning, if any (see setupSteering) */
    checkSteering?: () => Promise<string | undefined>,
    /** frees what the session holds beside the model (the read-out's context) */
    close(): Promise<void>
};

export async function openSession(loaded: LoadedModel, options: OpenSessionOptions): Promise<OpenedSession> {
    // measured on first use (a strength in σ at start-up or later, /calibrate, a preset saved with σ), then read from its cache
    let measured: Promise<ModelCalibration> | undefined;
    const calibration = () => (measured ??= modelCalibration(loaded).catch((err: unknown) => {
        measured = undefined; // measured again next time
        throw err;
    }));
    const steering = await setupSteering(loaded, options, options.onTrainProgress, options.signal, calibration);
    // the defaults, the flags over them and --preset's settings under the flags: where each setting comes from
    const flags = Settings.of(defaultSettings(options.defaultSampling), givenOnly({systemPrompt: options.system,
        temperature: options.temperature, maxTokens: options.maxTokens, seed: options.seed, history: options.history,
        steer: options.steer}));
    const settings = steering.preset ? flags.withPreset(steering.preset.name, presetLayer(steering.preset)) : flags;
    const values = settings.resolve();
    const controller = steering.controller;
    // which tokens the steering acts on: read by the conversation's reply-only switch at each turn, set by /steer
    const policy: PolicyBox = {current: values.steer};
    // the gates beside the policy: no steering inside code blocks, and the condition on the prompt's read-out
    const presetWhen = steering.preset?.when;
    const gates = controller && new SteeringGates(loaded, {code: options.steerCode ?? steering.preset?.steerCode,
        when: options.when ?? (presetWhen != null ? conditionOf("the preset's when", presetWhen) : undefined)});
    const conversation = createConversation(loaded, {mode: options.mode, ...steeringHooks(controller),
        systemPrompt: values.systemPrompt, history: values.history, sampling: settings.sampling(),
        ...(controller ? gatedSteering(controller, gates!.state, steeringHooks(controller),
            replyOnlySettings(controller, () => policy.current, () => gates!.code)) : {})});
    const notes = [...steering.notes, ...conversation.notes ?? []];
    let presets: PresetStore | undefined;
    try {
        presets = new PresetStore();
        notes.push(...presets.notices);
    } catch (err) {
        notes.push(`Presets are unavailable: ${errorMessage(err)}`);
    }
    const reader = options.readout && controller ? new ReplyReader(loaded) : undefined;
    // the gauge: a steered reply's KL from the unsteered model, its repetition and perplexity, measured after it is shown
    const meter = options.readout && controller ? new CoherenceMeter(loaded) : undefined;
    const session = new ChatSession({conversation, steering: controller, presets, modelName: loaded.modelName,
        trainRecipe: recipeTrainerFor(loaded), trainDescribed: describedTrainerFor(loaded), settings, policy, gates,
        readReply: reader && ((tokens, entries) => reader.read(tokens, entries)),
        calibration,
        autoCalibrate: controller && (async (name, {policy: steer, steering, signal, onPoint}) =>
            autoCalibrate(loaded, conversation, steering, {name, calibration: await calibration(), policy: steer, signal, onPoint})),
        gauge: meter && ((turn) => (turn.reply.context == null ? Promise.resolve(undefined)
            : meter.measure({context: turn.reply.context, reply: turn.reply.tokens, steering: turn.vector ?? null, policy: turn.policy,
                text: turn.reply.text})))});
    // the check evaluates on its own context of this model: closing waits for it (about 10 tokens) before the model goes
    let checking: Promise<string | undefined> | undefined;
    const checkSteering = steering.checkSteering && (() => (checking ??= steering.checkSteering!()));
    return {session, notes, checkSteering, close: async () => {
        await checking?.catch(() => undefined);
        await reader?.free();
        await meter?.free();
        gates?.free();
    }};
}
