/**
 * The chat's read-out: after each reply, the reply's tokens are evaluated on the capture context without steering
 * and read on every loaded vector (at the layers it steers), as z-scores against the neutral baseline. The capture
 * runs off the main thread; reads are queued, one at a time, and each reply's result is kept for /readout.
 */
import type {Token} from "node-llama-cpp";
import {UserFacingError} from "../errors.js";
import type {LoadedModel} from "../engine/runtime.js";
import {ConceptReader} from "./conceptReader.js";
import type {LayerReadout} from "./readout.js";
import type {SteeringEntry} from "./steeringState.js";

export type VectorReadout = {name: string, z: number, layers: LayerReadout[], tokenZ: number[]};

export type ReplyReadout = {
    /** each token's text, in place */
    tokenTexts: string[],
    vectors: VectorReadout[],
    /** wall time of the read-out (capture + maths) */
    seconds: number
};

/** a reply's first tokens that are read: the capture context computes them in one batch, so its size is bounded */
export const MAX_READ_TOKENS = 512;

export class ReplyReader {
    private reader: ConceptReader | undefined;
    private queue: Promise<unknown> = Promise.resolve();
    private freed = false;

    constructor(private readonly loaded: LoadedModel) {}

    /** Reads `tokens` (a reply, without BOS) on each entry's vector; undefined when there is nothing to read. */
    read(tokens: readonly Token[], entries: readonly SteeringEntry[]): Promise<ReplyReadout | undefined> {
        const result = this.queue.then(() => this.readNow(tokens, entries));
        this.queue = result.catch(() => undefined);
        return result;
    }

    private async readNow(tokens: readonly Token[], entries: readonly SteeringEntry[]): Promise<ReplyReadout | undefined> {
        if (this.freed || tokens.length === 0 || entries.length === 0) return undefined;
        const started = performance.now();
        this.reader ??= ConceptReader.create(this.loaded, {maxTokens: Math.min(this.loaded.context.contextSize, MAX_READ_TOKENS)});
        const bos = this.loaded.model.tokens.bos;
        const input = bos != null ? [bos, ...tokens].slice(0, this.reader.maxTokens) : tokens.slice(0, this.reader.maxTokens);
        const states = await this.reader.hiddenStates(input);
        const vectors: VectorReadout[] = [];
        for (const entry of entries) {
            const range = entry.layers;
            const layers = range && [...entry.vector.directions.keys()].filter((l) => l >= range.start && l <= range.end);
            try {
                const reading = await this.reader.project(input, states, entry.vector, layers);
                vectors.push({name: entry.name, z: reading.readout.z, layers: reading.readout.layers, tokenZ: [...reading.readout.tokenZ]});
            } catch (err) {
                if (!(err instanceof UserFacingError)) throw err; // a vector with nothing to read at its layers is left out
            }
        }
        const model = this.loaded.model;
        const read = input.slice(input[0] === bos ? 1 : 0);
        const before = (i: number) => (i >= 8 || bos == null ? read.slice(Math.max(0, i - 8), i) : [bos, ...read.slice(0, i)]);
        const tokenTexts = read.map((t, i) => model.detokenize([t], false, before(i)));
        return {tokenTexts, vectors, seconds: (performance.now() - started) / 1000};
    }

    /** Frees the capture context once the queued reads are done. */
    async free() {
        this.freed = true;
        await this.queue;
        this.reader?.free();
        this.reader = undefined;
    }
}
