/**
 * Reads vectors back on the model: evaluates a text on the capture context (a second llama_context on the same
 * model, run off the main thread, never steered unless asked), projects every layer's output `l_out-N` on the
 * vector's `direction.N`, and z-scores it against a neutral baseline text evaluated the same way.
 * The BOS row is left out everywhere: it is the same for every text and far larger than the rest (an attention sink).
 */
import type {Token} from "node-llama-cpp";
import {UserFacingError} from "../errors.js";
import {tokenizePrompt} from "../engine/generateTokens.js";
import type {LoadedModel} from "../engine/runtime.js";
import type {HiddenStateCapture} from "../native/captureBridge.js";
import {checkedContextInfo, loadNativeSteering} from "../native/steeringBridge.js";
import type {ControlVector} from "./controlVector.js";
import type {MixedControlVector} from "./mixControlVectors.js";
import {baselineOf, projectionMatrix, projectRows, readout, unitDirection, type LayerBaseline, type ProjectionMatrix,
    type Readout} from "./readout.js";

/** Plain, concept-free prose (no names, no feelings): what a layer's projection looks like when nothing is meant. */
export const NEUTRAL_BASELINE_TEXT = [
    "The table is in the middle of the room. There is a window on one side and a door on the other.",
    "In the morning the man walks to the shop and buys some bread and milk. He carries the bag home and puts it on the table.",
    "Then he sits down on the chair, opens a book and reads for a while. Outside, the street is quiet and the sky is grey.",
    "Later he washes the cups, closes the window and turns off the light."
].join(" ");

export type TextReading = {
    /** the text's tokens, without the BOS */
    tokens: Token[],
    /** raw projections, per token and layer */
    matrix: ProjectionMatrix,
    baselines: Map<number, LayerBaseline>,
    readout: Readout
};

export type ReadOptions = {
    /** read only these of the vector's layers (default: all of them) */
    layers?: readonly number[],
    /** capture the text with this steering applied (the baseline is never steered) */
    steering?: MixedControlVector | null
};

export class ConceptReader {
    private readonly baselineTokens: Token[];
    private baselineLayers: Float32Array[] | undefined;

    private constructor(private readonly loaded: LoadedModel, private readonly capture: HiddenStateCapture,
        readonly nEmbd: number, readonly nLayer: number, readonly maxTokens: number, baselineText: string) {
        this.baselineTokens = tokenizePrompt(loaded.model, baselineText);
    }

    /** A reader for texts of up to `maxTokens` tokens; throws a UserFacingError when the native helper is missing. */
    static create(loaded: LoadedModel,
        {maxTokens = 512, baselineText = NEUTRAL_BASELINE_TEXT}: {maxTokens?: number, baselineText?: string} = {}) {
        const status = loadNativeSteering();
        if (!status.available) throw new UserFacingError(`Reading is unavailable: ${status.reason}`, status.fix);
        const info = checkedContextInfo(status.native, loaded.context, loaded.model, "Reading");
        const baselineLength = tokenizePrompt(loaded.model, baselineText).length;
        const size = Math.max(maxTokens, baselineLength);
        const capture = status.native.createCapture(loaded.context, size, loaded.context.currentThreads || 1);
        return new ConceptReader(loaded, capture, info.nEmbd, info.nLayer, size, baselineText);
    }

    tokenize(text: string): Token[] {
        return tokenizePrompt(this.loaded.model, text);
    }

    /** Every layer's output for the tokens, one n_tokens × n_embd array per layer, BOS row left out. */
    async hiddenStates(tokens: readonly Token[], steering?: MixedControlVector | null): Promise<Float32Array[]> {
        if (tokens.length > this.maxTokens)
            throw new UserFacingError(`The text is ${tokens.length} tokens long, more than the ${this.maxTokens} this reader takes`, "shorten it");
        const layers = await this.capture.capture(tokens, {allRows: true, steering});
        const skip = tokens[0] === this.loaded.model.tokens.bos ? this.nEmbd : 0;
        return layers.map((rows) => rows.subarray(skip));
    }

    /** The layers of `vector` that are read: every non-zero direction within the model, or the requested ones among them. */
    layersOf(vector: ControlVector, layers?: readonly number[]): number[] {
        if (vector.nEmbd !== this.nEmbd)
            throw new UserFacingError(`The vector has n_embd ${vector.nEmbd} but the model has ${this.nEmbd}`, "read a vector made for this model");
        const all = [...vector.directions.keys()].sort((a, b) => a - b);
        const inModel = all.filter((l) => l < this.nLayer && (layers == null || layers.includes(l)));
        if (inModel.length === 0)
            throw new UserFacingError(`The vector has no direction at ${layers == null ? "any layer of this model" : `layers ${layers.join(", ")}`}`,
                `its layers are ${all.join(", ")}; the model has ${this.nLayer}`);
        const chosen = inModel.filter((l) => vector.directions.get(l)!.some((x) => x !== 0)); // a zero direction reads nothing
        if (chosen.length === 0)
            throw new UserFacingError(`The vector's direction at layer${inModel.length > 1 ? "s" : ""} ${inModel.join(", ")} is zero: there is nothing to read`,
                "read a trained vector");
        return chosen;
    }

    /** The per-layer baseline of each of the vector's layers, from the neutral text (captured once per reader). */
    async baselines(vector: ControlVector, layers: readonly number[]): Promise<Map<number, LayerBaseline>> {
        this.baselineLayers ??= await this.hiddenStates(this.baselineTokens);
        const states = this.baselineLayers;
        return new Map(layers.map((layer) =>
            [layer, baselineOf(projectRows(states[layer]!, this.nEmbd, unitDirection(vector.directions.get(layer)!)))]));
    }

    /** Projections of a text's hidden states on the vector, and their read-out against the baseline. */
    async read(text: string | readonly Token[], vector: ControlVector, {layers, steering}: ReadOptions = {}): Promise<TextReading> {
        const tokens = typeof text === "string" ? this.tokenize(text) : [...text];
        this.layersOf(vector, layers); // a vector that cannot be read fails before any compute
        return this.project(tokens, await this.hiddenStates(tokens, steering), vector, layers);
    }

    /** The read-out of already captured hidden states (from `hiddenStates`), so one capture serves several vectors. */
    async project(tokens: readonly Token[], states: readonly Float32Array[], vector: ControlVector,
        layers?: readonly number[]): Promise<TextReading> {
        const chosen = this.layersOf(vector, layers);
        const baselines = await this.baselines(vector, chosen);
        const bos = tokens[0] === this.loaded.model.tokens.bos ? 1 : 0;
        if (tokens.length - bos === 0) throw new UserFacingError("There is no text to read", "give a text with at least one token");
        const matrix = projectionMatrix(new Map(chosen.map((layer) =>
            [layer, projectRows(states[layer]!, this.nEmbd, unitDirection(vector.directions.get(layer)!))])));
        return {tokens: tokens.slice(bos), matrix, baselines, readout: readout(matrix, baselines)};
    }

    free() {
        this.capture.free();
    }
}
