/**
 * One chat with a loaded model: the conversation, its steering, the presets, the recipe trainer and the settings
 * (with where each came from, settings.ts), behind one object. A turn goes through `send`, which (through the
 * conversation's hooks from steeringHooks) applies the staged steering and the history policy, and returns the reply
 * together with the steering it was made with. Every steering change goes through `stage` (the panel, the commands,
 * the pickers, presets, trials and /calibrate's probes). /regen, /compare and /sweep are whole operations here, so
 * the UI only streams, shows and asks; as node-llama-cpp's LlamaChatSession owns a chat's history and sequence, this
 * owns a steered chat.
 */
import {lstatSync} from "node:fs";
import path from "node:path";
import {errorMessage, UserFacingError} from "../errors.js";
import {writeFileAtomic} from "../engine/atomicWrite.js";
import type {Conversation, EvaluationHold, HistoryPolicy, ReevaluateResult, Reply, SendOptions} from "../engine/conversation.js";
import {describeSampling, SAMPLING_SETTINGS, samplingSettingName, type SamplingOptions, type SamplingSettingName} from "../engine/sampling.js";
import {displayQuoted} from "../displayText.js";
import {checkWritableTarget} from "../engine/userFiles.js";
import {describePreset, presetFromSteering, presetSampling, presetSteering} from "../presets/applyPreset.js";
import type {PresetStore} from "../presets/presetStore.js";
import {describeEntry, describeSnapshot, snapshotOf, type SteeringSnapshot} from "../steering/describe.js";
import {findVectorFile} from "../steering/vectorLibrary.js";
import type {ReplyReadout} from "../steering/replyReadout.js";
import type {SteeringController} from "../steering/steeringController.js";
import {fitLayerRange, roundCoefficient, type ModelShape, type SteeringEntry, type SteeringState} from "../steering/steeringState.js";
import type {MeasuredGauge} from "../steering/coherenceMeter.js";
import type {LayerRange, MixedControlVector} from "../steering/mixControlVectors.js";
import {describeSteerPolicy, type SteerPolicy} from "../steering/steerPolicy.js";
import {conditionOf, describeDecision, type GateDecision} from "../steering/conditionGate.js";
import type {SteeringGates} from "./steeringGates.js";
import type {AutoCalibration, CalibrationSteering} from "../steering/autoCalibrate.js";
import {CALIBRATE_SAMPLING, calibrationReport} from "../steering/calibrationReport.js";
import type {StrengthPoint} from "../steering/strengthSearch.js";
import type {ModelCalibration} from "../steering/strengthUnits.js";
import {randomDirectionLike} from "../steering/randomDirection.js";
import {resolveSigma, sigmaOf} from "../steering/calibration.js";
import {describeQuality, qualityWarning} from "../steering/vectorQuality.js";
import {adoptTrainedVector, loadEntryOrRecipe, type RecipeTrainer} from "../training/recipeVectors.js";
import type {DescribedTrainer} from "../training/describedVectors.js";
import {stageDescribedVector} from "./describedVector.js";
import {TRANSCRIPT_FORMATS, type SweepRow} from "./transcript.js";
import {presetLayer, SETTING_KEYS, Settings, type SettingKey, type SettingOrigin} from "./settings.js";
export type {SweepRow} from "./transcript.js";
import {TurnLog, type ReplyEntry, type TrialKind} from "./turnLog.js";

/** Streaming for one generation: the text as it comes, prefill progress, and the signal that stops it. */
export type TurnStream = SendOptions;

/** Long work other than a reply (training, loading a preset that trains): progress and the signal that stops it. */
export type JobProgress = {signal?: AbortSignal, onProgress?: (done: number, total: number) => void};

/** A reply, and the steering and sampling it was made with (`vector`: the mixed steering, for the gauge). */
export type Turn = {
    reply: Reply, steering: SteeringSnapshot, sampling: SamplingOptions, vector?: MixedControlVector | null, policy: SteerPolicy,
    /** the reply as the session's transcript records it */
    entry: ReplyEntry,
    /** the condition gate's decision on the prompt (--when): closed, the turn was unsteered */
    gate?: GateDecision
};

/** which tokens the steering acts on, shared with the conversation's reply-only switch */
export type PolicyBox = {current: SteerPolicy};

/** What a command says back: lines of text, and whether they report a failure. */
export type Outcome = {lines: string[], error?: boolean};

export type CompareResult =
    | {kind: "done", off: Reply, on: Turn}
    /** Esc during the reply without steering: the history is as it was, nothing to compare */
    | {kind: "stoppedOff"}
    /** Esc during the steered reply: it is kept (it is the conversation's reply now), cut short */
    | {kind: "stoppedOn", on: Turn};


export type ChatSessionOptions = {
    conversation: Conversation,
    /** undefined when the model cannot be steered (the reason is in the start-up notes) */
    steering?: SteeringController,
    presets?: PresetStore,
    /** trains (or fetches from the cache) a recipe's vector for the loaded model */
    trainRecipe?: RecipeTrainer,
    /** trains (or fetches from the cache) a vector from a description, for /vector new */
    trainDescribed?: DescribedTrainer,
    /** reads a reply on the loaded vectors, off the main thread (the live read-out; see steering/replyReadout.ts) */
    readReply?: (tokens: Reply["tokens"], entries: readonly SteeringEntry[]) => Promise<ReplyReadout | undefined>,
    /** the model's name, for transcripts */
    modelName?: string,
    /**
     * the conversation's settings with where each came from (defaults, flags, --preset); the conversation is set to
     * them here. Default: the conversation's settings when they are first changed, as defaults.
     */
    settings?: Settings,
    /** the steering policy the conversation's reply-only switch reads (default: all, and no switch) */
    policy?: PolicyBox,
    /** the steering gates (--steer-code, --when) the conversation's hooks read */
    gates?: SteeringGates,
    /** the coherence gauge of a reply against the unsteered model (after the reply is shown) */
    gauge?: (turn: Omit<Turn, "entry">) => Promise<MeasuredGauge | undefined>,
    /** the model's calibration (each layer's typical norm), measured once and cached: for strengths in σ */
    calibration?: () => Promise<ModelCalibration>,
    /** the strength search of /calibrate, on this conversation (it clears it while it runs); its probes stage through `steering` */
    autoCalibrate?: (name: string, options: {policy: SteerPolicy, steering: CalibrationSteering, signal?: AbortSignal,
        onPoint?: (point: StrengthPoint) => void}) => Promise<AutoCalibration>
};

const LABELS: Partial<Record<SettingKey, string>> = {systemPrompt: "system prompt", history: "history policy", steer: "steering policy"};
/** the random control's seed: the same control for the same vector, every sweep */
const CONTROL_SEED = 0;

const settingLabel = (key: SettingKey) => LABELS[key] ?? samplingSettingName(key as keyof SamplingOptions);

/** the sampling settings, as /settings groups them */
const SAMPLING_KEYS_SHOWN = Object.fromEntries(Object.values(SAMPLING_SETTINGS).map((s) => [s.key, true]));

/** where a setting came from, as /settings says it */
const originLabel = (origin: SettingOrigin) =>
    origin.from === "preset" ? `preset ${origin.preset}` : origin.from === "user" ? "yours" : origin.from;

export class ChatSession {
    readonly conversation: Conversation;
    readonly steering: SteeringController | undefined;
    readonly presets: PresetStore | undefined;
    readonly modelName: string;
    /** the transcript: every prompt and reply (with how it was made), in step with the conversation's history */
    readonly transcript = new TurnLog();
    private readonly options: ChatSessionOptions;
    /** the conversation's settings and where each came from (see settings.ts); undefined until first needed */
    private settingsNow: Settings | undefined;
    /** a re-evaluation of the history running while the user types (reevaluateInBackground) */
    private background: {controller: AbortController, done: Promise<void>} | undefined;
    /** under keep, the cache as it was before a trial (/compare, /sweep), put back after it (asTrial) */
    private trialHold: EvaluationHold | undefined;
    /** the model's calibration once loaded */
    private calibrated: ModelCalibration | undefined;

    constructor(options: ChatSessionOptions) {
        this.options = options;
        this.conversation = options.conversation;
        this.steering = options.steering;
        this.presets = options.presets;
        this.modelName = options.modelName ?? "";
        if (options.settings) this.applySettings(options.settings);
    }

    /** the settings now: those given, or the conversation's as they are when first changed (as defaults) */
    private settings(): Settings {
        this.settingsNow ??= Settings.of({systemPrompt: this.conversation.systemPrompt, history: this.conversation.historyPolicy,
            steer: this.steerPolicy, ...this.conversation.sampling});
        return this.settingsNow;
    }

    /** Makes `next` the settings, and the conversation's (from the next turn). */
    private applySettings(next: Settings) {
        this.settingsNow = next;
        const values = next.resolve();
        const conversation = this.conversation;
        // "" and undefined are both no system prompt: only a change is passed on (it changes the history's first turn)
        const none = (prompt: string | undefined) => prompt || undefined;
        if (none(values.systemPrompt) !== none(conversation.systemPrompt)) conversation.setSystemPrompt(values.systemPrompt);
        conversation.historyPolicy = values.history;
        if (this.options.policy) this.options.policy.current = values.steer;
        Object.assign(conversation.sampling, next.sampling());
    }

    /** the steering gates (--steer-code, --when), where there is steering */
    get gates(): SteeringGates | undefined {
        return this.options.gates;
    }

    /** which tokens the steering acts on: every one (as llama.cpp), or only the reply's */
    get steerPolicy(): SteerPolicy {
        return this.options.policy?.current ?? "all";
    }

    /** a line saying reply-only steering is on (the banner, /steering), or undefined under the default (every token) */
    steerPolicyNote(): string | undefined {
        const policy = this.steerPolicy;
        return policy === "reply"
            ? "Reply-only steering: only the reply is steered, the prompt and history are read unsteered (/steer all steers every token)"
            : policy === "all" ? undefined : `Steering acts on: ${describeSteerPolicy(policy)} (${policy}; /steer all steers every token)`;
    }

    /** /steer reply|all: the user's own choice, kept over presets; applies from the next turn */
    setSteerPolicy(policy: SteerPolicy) {
        if (this.options.policy == null) throw new UserFacingError("Reply-only steering is unavailable in this session", "see the message at the top");
        this.applySettings(this.settings().withUser("steer", policy));
    }

    /** The model's calibration, measured (or read from its cache) on first use; undefined where there is none. */
    async loadCalibration(): Promise<ModelCalibration | undefined> {
        this.calibrated ??= await this.options.calibration?.();
        return this.calibrated;
    }

    /** A vector's strength in σ, once the calibration is loaded (undefined before, or for a vector it cannot place). */
    sigmaOf(entry: SteeringEntry): number | undefined {
        return this.calibrated && sigmaOf(entry.coefficient, entry.vector, this.calibrated, entry.layers);
    }

    /** /vector set NAME Xσ: the coefficient that strength is on this model; returns the staged state. */
    async setStrength(name: string, sigma: number): Promise<SteeringState> {
        const calibration = await this.loadCalibration();
        if (calibration == null) throw new UserFacingError("Strengths in σ are unavailable in this session", "give a raw coefficient instead");
        const entry = this.requireSteering().state.get(name);
        // setCoefficient rounds it as it rounds every coefficient
        return this.stage((s) => s.setCoefficient(name, resolveSigma(sigma, name, entry.vector, calibration, entry.layers)));
    }

    /** The gauge of a steered reply against the unsteered model; undefined without steering or a gauge. */
    measure(turn: Turn): Promise<MeasuredGauge | undefined> {
        return this.gaugeOf(turn).then((gauge) => {
            if (gauge != null) this.transcript.setGauge(turn.entry.id, gauge);
            return gauge;
        });
    }

    private gaugeOf(turn: Omit<Turn, "entry">): Promise<MeasuredGauge | undefined> {
        if (this.options.gauge == null || turn.vector == null) return Promise.resolve(undefined);
        return this.options.gauge(turn);
    }

    get canRead() {
        return this.options.readReply != null;
    }

    get canTrain() {
        return this.options.trainRecipe != null;
    }

    contextUsage() {
        return this.conversation.contextUsage();
    }

    requireSteering(): SteeringController {
        if (this.steering == null) throw new UserFacingError("Steering is unavailable in this session", "see the message at the top");
        return this.steering;
    }

    private requirePresets(): PresetStore {
        if (this.presets == null) throw new UserFacingError("Presets are unavailable in this session", "see the message at the top");
        return this.presets;
    }

    /** the prompt /regen, /compare and /sweep answer again */
    lastPrompt(): string {
        const text = this.conversation.lastUserText();
        if (text == null) throw new UserFacingError("Nothing to answer again yet", "send a prompt first");
        return text;
    }

    /** One turn: staged steering and the history policy are applied first (the conversation's hooks), then the reply. */
    send(text: string, stream: TurnStream = {}): Promise<Turn> {
        this.transcript.addUser(text);
        return this.answer(text, stream);
    }

    /**
     * The reply to `text`, recorded in the transcript (a failure mid-reply as its partial text, marked failed).
     * The transcript's draft starts before anything is awaited, where the caller made the stream.
     */
    private async answer(text: string, stream: TurnStream): Promise<Turn> {
        const streamed = this.transcript.streamInto(stream);
        await this.stopBackground();
        // read before the turn: /set and /steer may change them while the reply is written
        const sampling = {...this.conversation.sampling};
        const policy = this.steerPolicy;
        let reply: Reply;
        let gate: GateDecision | undefined;
        try {
            // the condition gate (--when) decides on the prompt first; a closed gate makes the turn unsteered
            gate = await this.gates?.decide(text);
            reply = await this.conversation.send(text, streamed);
        } catch (err) {
            const steering = snapshotOf(this.steering?.appliedState.entries ?? []);
            this.transcript.addFailed(errorMessage(err), {steering, sampling, policy, ...gate ? {gate} : {}});
            throw err;
        } finally {
            this.gates?.end();
        }
        const steering = snapshotOf(this.steering?.appliedState.entries ?? []);
        const entry = this.transcript.addReply(reply, {steering, sampling, policy, ...gate ? {gate} : {}});
        const vector = gate?.open === false ? null : this.steering?.appliedVector;
        return {reply, steering, sampling, vector, policy, entry, ...gate ? {gate} : {}};
    }

    /** The last prompt answered again with the current steering; returns the prompt and the new turn. */
    async regen(stream: TurnStream = {}): Promise<{prompt: string, turn: Turn}> {
        this.lastPrompt();
        const history = this.conversation.snapshot();
        const prompt = this.conversation.rewind()!;
        try {
            return {prompt, turn: await this.answer(prompt, stream)};
        } catch (err) {
            this.conversation.restore(history); // the exchange that was there stays
            throw err;
        }
    }

    /**
     * Trials (/compare, /sweep, /calibrate's search) run under the reeval policy whatever the chat's: a side's
     * steering must read the history too, or "steering off" would still carry the vector in the cached history. The
     * user's steering is put back afterwards (putSteeringBack). Under keep, the cache is held first and put back
     * after, so the history stays as that policy left it instead of being evaluated again at the next turn.
     */
    private async asTrial<T>(work: () => Promise<T>): Promise<T> {
        await this.stopBackground();
        const policy = this.conversation.historyPolicy;
        this.trialHold = policy === "keep" ? await this.conversation.holdEvaluation() : undefined;
        this.conversation.historyPolicy = "reeval";
        try {
            return await work();
        } finally {
            this.conversation.historyPolicy = policy;
            this.trialHold?.release();
            this.trialHold = undefined;
        }
    }

    /**
     * The last prompt answered with steering off, then with the current steering, from the same history. The steered
     * reply becomes the conversation's; `stream()` is asked for each generation's streaming.
     */
    compare(stream: () => TurnStream): Promise<CompareResult> {
        return this.asTrial(() => this.compareTrial(stream));
    }

    private async compareTrial(stream: () => TurnStream): Promise<CompareResult> {
        const steering = this.requireSteering();
        const text = this.lastPrompt();
        const current = steering.state;
        const history = this.conversation.snapshot();
        this.conversation.rewind();
        const before = this.conversation.snapshot();
        this.stage((state) => state.allOff());
        let off: Reply;
        try {
            off = await this.conversation.send(text, this.transcript.streamInto(stream()));
        } catch (err) {
            this.conversation.restore(history); // keep the exchange that was there
            this.stage(() => current);
            await this.putSteeringBack();
            throw err;
        } finally {
            this.stage(() => current);
        }
        if (off.stopReason === "aborted") {
            // cut short, the "off" side is no fair half of a comparison
            this.conversation.restore(history);
            await this.putSteeringBack();
            return {kind: "stoppedOff"};
        }
        this.conversation.restore(before);
        let on: Turn;
        try {
            on = await this.answer(text, stream());
        } catch (err) {
            this.conversation.restore(history);
            throw err;
        }
        return on.reply.stopReason === "aborted" ? {kind: "stoppedOn", on} : {kind: "done", off, on};
    }

    /**
     * The last prompt answered at each coefficient of one vector (switched on), from the same history; the
     * conversation and the steering are put back as they were afterwards. Stops at the first reply Esc cut short.
     */
    sweep(name: string, coefficients: readonly number[], stream: () => TurnStream,
        {control = false}: {control?: boolean} = {}): Promise<SweepRow[]> {
        return this.asTrial(() => this.sweepTrial(name, coefficients, stream, control));
    }

    private async sweepTrial(name: string, coefficients: readonly number[], stream: () => TurnStream,
        control: boolean): Promise<SweepRow[]> {
        const steering = this.requireSteering();
        const text = this.lastPrompt();
        const original = steering.state;
        const entry = original.get(name);
        // the control: a seeded random direction with the vector's per-layer norms, in the vector's place
        const random = {...entry, name: `${name}-random`, source: `${entry.source}#random-${CONTROL_SEED}`,
            vector: randomDirectionLike(entry.vector, CONTROL_SEED)};
        const trials = coefficients.flatMap((coefficient) => [
            {coefficient, control: false, state: original.setCoefficient(name, coefficient).setEnabled(name, true)},
            ...control ? [{coefficient, control: true, state: original.remove(name).add({...random, coefficient, enabled: true})}] : []
        ]);
        const history = this.conversation.snapshot();
        this.conversation.rewind();
        const before = this.conversation.snapshot();
        const rows: SweepRow[] = [];
        try {
            for (const trial of trials) {
                this.stage(() => trial.state);
                this.conversation.restore(before);
                const policy = this.steerPolicy;
                const reply = await this.conversation.send(text, this.transcript.streamInto(stream()));
                const stopped = reply.stopReason === "aborted";
                const measured = stopped ? undefined : await this.gaugeOf({reply, steering: [], sampling: this.conversation.sampling,
                    vector: steering.appliedVector, policy}).catch(() => undefined);
                rows.push({coefficient: trial.coefficient, text: reply.text, meanLogProb: reply.meanLogProb, stopped,
                    ...measured ? {gauge: {kl: measured.kl, repetition: measured.repetition}} : {},
                    ...trial.control ? {control: true} : {}});
                if (stopped) break;
            }
        } finally {
            this.stage(() => original);
            this.conversation.restore(history);
            await this.putSteeringBack();
        }
        return rows;
    }

    /**
     * After trials: the model holds the last trial's steering, and the cache the trials' evaluation. Put the user's
     * steering back now (so nothing shows as staged that the user did not stage), and the cache as it was before the
     * trials where it was held (keep); otherwise have the history evaluated again under it at the next turn (keep
     * would otherwise go on from a trial's cache).
     */
    private async putSteeringBack() {
        const changed = this.steering?.applyStaged();
        const hold = this.trialHold;
        this.trialHold = undefined;
        if (hold) await hold.restore();
        else if (changed) await this.conversation.forgetEvaluation();
    }

    /**
     * /vector add: a new row, or for a file that is loaded already, nothing changed and a note saying so. The strength
     * is a raw coefficient, or {sigma} (NAME@Xσ) turned into one with the model's calibration.
     */
    async addVector(ref: string, strength: number | {sigma: number}, progress: JobProgress = {}): Promise<Outcome[]> {
        const steering = this.requireSteering();
        const calibration = typeof strength === "number" ? undefined : await this.loadCalibration();
        if (typeof strength !== "number" && calibration == null)
            throw new UserFacingError("Strengths in σ are unavailable in this session", `give a raw coefficient instead, e.g. ${ref}:0.5`);
        const loaded = await loadEntryOrRecipe(steering, ref, typeof strength === "number" ? strength : 0,
            {train: this.options.trainRecipe, ...progress});
        const entry = typeof strength === "number" ? loaded : {...loaded,
            coefficient: roundCoefficient(resolveSigma(strength.sigma, loaded.name, loaded.vector, calibration!, loaded.layers))};
        const weak = qualityWarning(entry.name, entry.vector.quality);
        return [{lines: [this.addOrKeepVector(entry), ...entry.warnings ?? []]}, ...weak ? [{lines: [weak], error: true}] : []];
    }

    /** /train: trains a recipe's vector for this model (again), and points a loaded vector of that name at it. */
    async train(name: string, progress: JobProgress = {}): Promise<Outcome[]> {
        const trainer = this.options.trainRecipe;
        if (trainer == null) throw new UserFacingError("Training is unavailable in this session", "load a model that can be steered");
        const started = performance.now();
        const meantBefore = this.vectorFileOf(name);
        const {file, vector: {quality}, unsaved} = await trainer(name, {force: true, ...progress});
        // /train's result is the file: one that could not be written is an error naming it (a cache only skips it)
        if (unsaved) throw unsaved;
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        const weak = qualityWarning(name, quality);
        const adopted = adoptTrainedVector(this.steering, name, file);
        return [{lines: [`Trained ${name} for this model in ${seconds} s (${file}); ${adopted}`,
            ...quality ? [`  ${describeQuality(quality)}`] : [], ...this.presetsNowUsing(name, file, meantBefore)]},
        ...weak ? [{lines: [weak], error: true}] : []];
    }

    /** /vector new NAME "DESCRIPTION": a vector trained from the description (or cached), staged at a mild strength. */
    async newVector(name: string, description: string, progress: JobProgress = {}): Promise<Outcome[]> {
        const train = this.options.trainDescribed;
        if (train == null) throw new UserFacingError("Training is unavailable in this session", "load a model that can be steered");
        return stageDescribedVector(this.requireSteering(), train,
            {name, description, calibration: () => this.loadCalibration(), ...progress});
    }

    /** the file a vector name means now (undefined when it means none) */
    private vectorFileOf(name: string): string | undefined {
        try {
            return path.resolve(findVectorFile(name, this.steering?.trainedDir));
        } catch {
            return undefined;
        }
    }

    /**
     * After /train: the presets (shipped ones too) that name the vector, when the name now means the new file rather
     * than the one it meant before, so a preset loaded later is not silently steered by another vector.
     */
    private presetsNowUsing(name: string, file: string, meantBefore: string | undefined): string[] {
        if (this.presets == null || this.vectorFileOf(name) !== path.resolve(file) || meantBefore === path.resolve(file)) return [];
        const naming = this.presets.list().filter(({preset}) => preset.vectors.some((v) => v.vector === name || v.vector === `${name}.gguf`))
            .map(({preset, origin}) => `${preset.name}${origin === "shipped" ? " (shipped)" : ""}`);
        if (naming.length === 0) return [];
        return [`Presets naming ${name} now load this trained vector${meantBefore != null ? `, not ${meantBefore}` : ""}: ${naming.join(", ")}`];
    }

    /** Loads a preset's steering (training recipes that do not fit) and its settings, except the pinned ones. */
    async loadPreset(name: string, progress: JobProgress = {}): Promise<Outcome> {
        const {preset} = this.requirePresets().get(name);
        const steering = this.requireSteering();
        const result = await presetSteering(preset, steering, {train: this.options.trainRecipe, ...progress},
            {calibration: this.options.calibration});
        this.stage(() => result.state);
        const settings = this.settings().withPreset(preset.name, presetLayer(preset));
        this.applySettings(settings);
        const kept = settings.keptFromPreset().map(settingLabel);
        if (preset.steerCode && this.gates) this.gates.code = preset.steerCode;
        if (preset.when && this.gates) await this.gates.setWhen(conditionOf("the preset's when", preset.when));
        return {
            lines: [`Loaded preset ${preset.name} — from the next turn: ${steering.state.describe()}`,
                ...(kept.length > 0 ? [`  kept your ${kept.join(", ")} (set on the command line, with /set or /history) over the preset's`] : []),
                ...result.skipped.map((s) => `  skipped ${s}`)],
            error: result.skipped.length > 0 && result.loaded.length === 0
        };
    }

    /**
     * /calibrate: the largest strength each way whose replies stay within the gauge's limits, on this model. A trial
     * (asTrial): the search clears the conversation for its probes, and the conversation is put back as it was, under
     * keep its cache too. The vector's panel range becomes what was found. Returns the report.
     */
    async calibrate(name: string, progress: {signal?: AbortSignal, onPoint?: (point: StrengthPoint) => void} = {}): Promise<string> {
        const steering = this.requireSteering();
        const autoCalibrate = this.options.autoCalibrate;
        if (autoCalibrate == null) throw new UserFacingError("Calibration is unavailable in this session", "see the message at the top");
        steering.state.get(name);
        // measured (or read) before the trial copies the cache: nothing is held for a search that cannot start
        await this.loadCalibration();
        const result = await this.asTrial(async () => {
            const history = this.conversation.snapshot();
            // greedy and seeded, whatever the chat samples with: the same search gives the same limits
            const sampling = {...this.conversation.sampling};
            Object.assign(this.conversation.sampling, CALIBRATE_SAMPLING);
            try {
                // its probes change the steering through the session, as every change does
                const through: CalibrationSteering = {
                    get state() { return steering.state; },
                    get appliedVector() { return steering.appliedVector; },
                    update: (change) => this.stage(change)
                };
                return await autoCalibrate(name, {policy: this.steerPolicy, steering: through, ...progress});
            } finally {
                Object.assign(this.conversation.sampling, sampling);
                this.conversation.restore(history);
                await this.putSteeringBack();
            }
        });
        if (!result.stopped) this.stage((s) => s.setRange(name, result.coefficientRange));
        return calibrationReport(result, {model: this.modelName, sampling: CALIBRATE_SAMPLING, policy: this.steerPolicy});
    }

    /** Saves the staged steering, the system prompt, the sampling and the history policy as a preset. */
    async savePreset(name: string, description?: string): Promise<string[]> {
        const presets = this.requirePresets();
        const state = this.requireSteering().state;
        // re-saving a preset keeps its description unless a new one is given
        const kept = description ?? presets.list().find((p) => p.preset.name === name && p.origin === "user")?.preset.description;
        // with the model's calibration, each vector's strength is stored in σ too, so the preset moves between models
        const calibration = await this.loadCalibration();
        const notes = await presets.save(presetFromSteering(name, state, {description: kept, systemPrompt: this.conversation.systemPrompt,
            sampling: presetSampling(this.conversation.sampling), history: this.conversation.historyPolicy,
            ...(this.steerPolicy !== "all" ? {steer: this.steerPolicy} : {}), ...this.gates?.presetFields()}, {calibration}));
        return [`Saved preset ${name}: ${state.describe()}`, ...notes];
    }

    listPresets(): string[] {
        return this.requirePresets().list().map(({preset, origin}) => `  ${preset.name.padEnd(18)} ${origin.padEnd(8)} ${describePreset(preset)}`);
    }

    /** /set: the user's own choice, kept over presets. */
    setSampling(name: SamplingSettingName, value: number | undefined): string {
        this.applySettings(this.settings().withUser(SAMPLING_SETTINGS[name].key, value as never));
        return `From the next reply: ${describeSampling(this.conversation.sampling)}`;
    }

    /** /settings: each setting's value and where it came from (default, flag, preset NAME, yours). */
    describeSettings(): string {
        const settings = this.settings();
        const shown = (key: SettingKey) => {
            const value = settings.value(key);
            const text = key === "systemPrompt" ? (value == null || value === "" ? "none" : displayQuoted(String(value)))
                : key === "seed" && value == null ? "random" : String(value);
            return `${settingLabel(key)} ${text} (${originLabel(settings.origin(key))})`;
        };
        const sampling = SETTING_KEYS.filter((key) => key in SAMPLING_KEYS_SHOWN);
        return [`Sampling: ${sampling.map(shown).join(" · ")}`,
            `Conversation: ${SETTING_KEYS.filter((key) => !(key in SAMPLING_KEYS_SHOWN)).map(shown).join(" · ")}`].join("\n");
    }

    /** /system: the user's own prompt; a preset loaded later with one of its own replaces it (see settings.ts). */
    setSystemPrompt(text: string) {
        this.applySettings(this.settings().withUser("systemPrompt", text)); // "" is none, as the conversation reads it
    }

    /** /history keep|reeval: the user's own choice, kept over presets. */
    setHistoryPolicy(policy: HistoryPolicy) {
        this.applySettings(this.settings().withUser("history", policy));
    }

    /**
     * /steering: the steering now (and staged), and the steering each of the `last` replies (since /clear) was made
     * with; a reply /regen or /compare replaced is marked.
     */
    describeSteering(last: number): string[] {
        const s = this.requireSteering();
        const replies = this.transcript.repliesSinceClear();
        const first = Math.max(0, replies.length - last);
        const policy = this.steerPolicyNote();
        const gates = this.gates?.describe() ?? [];
        return [`Now: ${s.appliedState.describe()}${s.hasPendingChanges ? ` · next turn: ${s.state.describe()}` : ""}`,
            ...policy != null ? [policy] : [],
            ...gates.length > 0 ? [`Gates: ${gates.join(", ")} (/steer code on|off, /when NAME>Z|off)`] : [],
            ...replies.slice(first).map((r, i) => `  reply ${first + i + 1}: ${describeSnapshot(r.steering)}${r.replaced ? " (replaced)" : ""}` +
                (r.gate ? ` · ${describeDecision(r.gate)}` : ""))];
    }

    /**
     * Every change to the steering comes here: the panel's keys, the slash commands, the pickers, presets, /compare's
     * and /sweep's trials and /calibrate's probes. The change is checked once (mixed: a sum that overflows float32 is
     * refused, leaving the steering as it was) and that mix is what the next turn applies. Returns the staged state.
     */
    stage(change: (state: SteeringState) => SteeringState): SteeringState {
        return this.requireSteering().update(change);
    }

    /** /layers: a vector's layer range, fitted to the model; `warning` says how a range llama.cpp would adjust was adjusted. */
    setLayers(name: string, layers: LayerRange | undefined): {state: SteeringState, warning?: string} {
        const range = layers && fitLayerRange(layers, this.requireSteering().shape);
        return {state: this.stage((s) => s.setLayers(name, range?.range)), warning: range?.warning};
    }

    /**
     * /vector add and the picker: a new row, or, for a file that is loaded already, nothing changed (its value and
     * on/off are kept) and a note saying so. A file given twice with --vector or in a preset is two rows, summed as
     * llama.cpp does.
     */
    private addOrKeepVector(entry: SteeringEntry): string {
        const loaded = this.requireSteering().state.loadedFrom(entry.source);
        if (loaded) return `${loaded.name} is loaded already (${describeEntry(loaded)}) and is kept as it is — /vector set ${loaded.name} C changes it`;
        const state = this.stage((s) => s.add(entry));
        return `Added ${state.entries.at(-1)!.name} — from the next turn: ${state.describe()}`;
    }

    /** whether this session can be steered (else the reason is in the start-up notes) */
    get canSteer(): boolean {
        return this.steering != null;
    }

    /** The steering the next turn will use (empty without steering). */
    get steeringState(): SteeringState | undefined {
        return this.steering?.state;
    }

    /** whether the staged steering differs from the one the model runs with */
    get hasPendingSteering(): boolean {
        return this.steering?.hasPendingChanges ?? false;
    }

    /** Calls `listener` after each staged or applied steering change; returns the unsubscribe. */
    subscribeSteering(listener: () => void): () => void {
        return this.steering?.subscribe(listener) ?? (() => undefined);
    }

    /** the loaded model's shape, for the vector picker (undefined without steering) */
    get steeringShape(): ModelShape | undefined {
        return this.steering?.shape;
    }

    /** the folder of vectors trained for this model, for the vector picker */
    get trainedDir(): string | undefined {
        return this.steering?.trainedDir;
    }

    /** The read-out of a reply on the vectors it was made with (after the reply is shown). */
    readReply(turn: Turn): Promise<ReplyReadout | undefined> {
        const steering = this.steering;
        if (this.options.readReply == null || steering == null) return Promise.resolve(undefined);
        return this.options.readReply(turn.reply.tokens, steering.appliedState.entries).then((readout) => {
            if (readout != null) this.transcript.setReadout(turn.entry.id, Object.fromEntries(readout.vectors.map((v) => [v.name, v.z])));
            return readout;
        });
    }

    async clear() {
        await this.stopBackground();
        await this.conversation.clear();
        this.transcript.clear();
    }

    /** a /compare, /sweep or /calibrate result, kept in the transcript */
    recordTrial(command: TrialKind, text: string) {
        this.transcript.addTrial(command, text);
    }

    /**
     * /reeval: the history evaluated again under the current steering now, in full batches (stops on the signal,
     * keeping what was done).
     */
    async reevaluate(options: {signal?: AbortSignal, onProgress?: (done: number, total: number) => void} = {}): Promise<ReevaluateResult> {
        await this.stopBackground();
        return this.conversation.reevaluate(options);
    }

    /**
     * Under reeval, a staged steering change makes the next turn evaluate the history again. Started here while the
     * user types (the chat calls it when it is idle after a change), that wait overlaps their typing; any turn or
     * command that uses the conversation stops it first, keeping what it evaluated. Resolves when it ends.
     */
    reevaluateInBackground(): Promise<void> {
        if (this.conversation.historyPolicy !== "reeval" || !this.steering?.hasPendingChanges || this.background != null)
            return Promise.resolve();
        const controller = new AbortController();
        const done = this.conversation.reevaluate({signal: controller.signal}).then(() => undefined, () => undefined)
            .finally(() => { if (this.background?.controller === controller) this.background = undefined; });
        this.background = {controller, done};
        return done;
    }

    private async stopBackground() {
        const running = this.background;
        if (running == null) return;
        running.controller.abort();
        await running.done;
    }

    /**
     * Writes the transcript as its name says: .md Markdown, .txt plain text, .json JSON (any other name is refused);
     * an existing file only with `force`, never a FIFO or a folder.
     */
    saveTranscript(file: string, force = false): string {
        checkWritableTarget(file, "Transcript file");
        // the format follows the name: Markdown in a .txt file (or anything in a .html) would be a surprise
        const extension = path.extname(file).toLowerCase();
        const format = Object.hasOwn(TRANSCRIPT_FORMATS, extension)
            ? TRANSCRIPT_FORMATS[extension as keyof typeof TRANSCRIPT_FORMATS] : undefined;
        if (format == null)
            throw new UserFacingError(`Cannot tell which format to write to ${file}`, "end its name in .md (Markdown), .txt (plain text) or .json");
        if (!force && lstatSync(file, {throwIfNoEntry: false}) != null)
            throw new UserFacingError(`${file} exists already`, `/save ${file} --force writes over it`);
        const meta = {model: this.modelName, mode: this.conversation.mode, systemPrompt: this.conversation.systemPrompt,
            sampling: {...this.conversation.sampling}};
        const body = format(this.transcript.entries(), meta);
        checkWritableTarget(file, "Transcript file"); // checked again: the file may have changed meanwhile
        writeFileAtomic(file, body);
        return `Saved the transcript to ${file}`;
    }
}
