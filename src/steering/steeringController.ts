/**
 * Connects the steering state to a live llama context. Changes are staged (the UI may change them while a reply
 * streams) and applied in one step before the next turn, so a reply is always made under one steering. Each change
 * is mixed once, when it is staged (that is its check: a sum that overflows float32 is refused then), and that mix,
 * kept with the state it was made from, is the one the next turn applies. llama.cpp is reached through a
 * SteeringBackend (steeringBackend.ts): the native bridge in the app, a recorder in tests.
 */
import type {LlamaContext, LlamaModel} from "node-llama-cpp";
import {UserFacingError} from "../errors.js";
import {checkedContextInfo, loadNativeSteering} from "../native/steeringBridge.js";
import {architectureSteeringWarning} from "./cvecArchitectures.js";
import type {ControlVector} from "./controlVector.js";
import {loadControlVector} from "./loadControlVector.js";
import type {LayerRange, MixedControlVector} from "./mixControlVectors.js";
import {steeringBackend, type SteeringBackend} from "./steeringBackend.js";
import {fitLayerRange, fitVectorToModel, SteeringState, type ModelShape, type SteeringEntry} from "./steeringState.js";
import {findVectorFile, vectorNameOf} from "./vectorLibrary.js";

type Listener = () => void;

export class SteeringController {
    private staged = new SteeringState();
    /** the staged state's mix, made when it was staged (its check), keyed by the state it was made from */
    private stagedMix: {state: SteeringState, mix: MixedControlVector | null} = {state: this.staged, mix: null};
    private applied = new SteeringState();
    /** the applied steering's mix (null: none), kept so switching it back on (reply-only) does not mix again */
    private appliedMix: MixedControlVector | null = null;
    private readonly listeners = new Set<Listener>();

    /**
     * A controller over any backend (tests: MemorySteeringBackend). It takes the backend to hold no steering: the
     * context is cleared here, whatever an earlier controller left on it.
     */
    constructor(private readonly backend: SteeringBackend,
        /** set when llama.cpp's graph for this architecture ignores control vectors */
        readonly architectureWarning?: string) {
        backend.apply(null);
    }

    get shape(): ModelShape {
        return this.backend.shape;
    }

    /** Throws a UserFacingError saying why steering is unavailable (and how to fix it) when the native helper is missing. */
    static create(context: LlamaContext, model: LlamaModel): SteeringController {
        const status = loadNativeSteering();
        if (!status.available) throw new UserFacingError(`Steering is unavailable: ${status.reason}`, status.fix);
        const info = checkedContextInfo(status.native, context, model, "Steering");
        const architecture = String(model.fileInfo.metadata?.general?.architecture ?? "unknown");
        const native = status.native;
        return new SteeringController(steeringBackend({nEmbd: info.nEmbd, nLayer: info.nLayer}, (mix) => native.apply(context, mix),
            native.scaleAdd), architectureSteeringWarning(architecture));
    }

    /** The steering the next turn will use. */
    get state(): SteeringState {
        return this.staged;
    }

    /** The steering the model runs with now. */
    get appliedState(): SteeringState {
        return this.applied;
    }

    get hasPendingChanges(): boolean {
        return this.staged.signature() !== this.applied.signature();
    }

    subscribe(listener: Listener): () => void {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
    }

    /**
     * Stages a change; an error leaves the previous steering untouched. The change is mixed once here, so steering
     * whose sum overflows float32 is refused when it is made, not when the next turn applies it; the mix is kept and
     * is what applyStaged applies. (The chat stages through ChatSession.stage, which comes here.)
     */
    update(change: (state: SteeringState) => SteeringState): SteeringState {
        const next = change(this.staged);
        // the same state again (a key that changed nothing) keeps its mix: nothing to check or mix twice
        const mix = next === this.stagedMix.state ? this.stagedMix.mix : this.backend.mix(next.entries);
        this.staged = next;
        this.stagedMix = {state: next, mix};
        this.listeners.forEach((l) => l());
        return this.staged;
    }

    /** The folder of vectors trained for this model (the recipe cache); names look there after the user's folder. */
    trainedDir: string | undefined;

    /** Loads a vector (path or name) and checks it fits the model, without staging it; `warnings` say what was adapted. */
    async loadEntry(ref: string, coefficient: number,
        {layers, enabled = true}: {layers?: LayerRange, enabled?: boolean} = {}): Promise<SteeringEntry> {
        const source = findVectorFile(ref, this.trainedDir);
        return this.entryOf(source, await loadControlVector(source), coefficient, {layers, enabled});
    }

    /** A vector already in memory (`source`: its file, which names it), checked to fit the model, without staging it. */
    entryOf(source: string, vector: ControlVector, coefficient: number,
        {layers, enabled = true}: {layers?: LayerRange, enabled?: boolean} = {}): SteeringEntry {
        const name = vectorNameOf(source);
        const {ignoredLayers, warnings} = fitVectorToModel(name, source, vector, this.shape);
        const range = layers && fitLayerRange(layers, this.shape);
        if (range?.warning) warnings.push(`${name}: ${range.warning}`);
        return {name, source, vector, coefficient, enabled, layers: range?.range,
            ...(warnings.length > 0 ? {warnings} : {}), ...(ignoredLayers.length > 0 ? {ignoredLayers} : {})};
    }

    /** Loads a vector (path or name), checks it fits the model and stages it. */
    async addVector(ref: string, coefficient: number, layers?: LayerRange): Promise<SteeringState> {
        const entry = await this.loadEntry(ref, coefficient, {layers});
        return this.update((s) => s.add(entry));
    }

    /** Stages a vector's layer range; `warning` says how a range llama.cpp would adjust was adjusted. */
    setLayers(name: string, layers: LayerRange | undefined): {state: SteeringState, warning?: string} {
        const range = layers && fitLayerRange(layers, this.shape);
        return {state: this.update((s) => s.setLayers(name, range?.range)), warning: range?.warning};
    }

    /** Applies staged changes to the context. Returns true when the model's steering changed. */
    applyStaged(): boolean {
        if (!this.hasPendingChanges) {
            this.applied = this.staged;
            return false;
        }
        // the mix made when this state was staged (always, as update keeps one for each state it stages)
        this.appliedMix = this.stagedMix.state === this.staged ? this.stagedMix.mix : this.backend.mix(this.staged.entries);
        this.backend.apply(this.appliedMix);
        this.applied = this.staged;
        this.listeners.forEach((l) => l());
        return true;
    }

    /** The applied steering's mix (null: none): what the coherence gauge evaluates the reply under. */
    get appliedVector(): MixedControlVector | null {
        return this.appliedMix;
    }

    /** Clears the control vector on the context, leaving the applied state as it is (reply-only: the prompt). */
    applyUnsteered() {
        this.backend.apply(null);
    }

    /** Puts the applied steering back on the context (reply-only: the reply), from the mix kept when it was applied. */
    reapply() {
        this.backend.apply(this.appliedMix);
    }
}
