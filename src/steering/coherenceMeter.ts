/**
 * The coherence gauge on the model (the maths is in coherence.ts): a reply's tokens are evaluated, after what the
 * model read before them, twice on the capture context — with the steering the reply was made under and without
 * any — and the two next-token distributions compared at each reply token. Under the reply-only policy the steered
 * pass evaluates the context unsteered and switches the vector on from its last token, as the conversation did.
 *
 * Both passes run off the main thread and may run after the reply is shown; calls are queued, one at a time.
 * A context longer than the capture context takes is cut from the left (the BOS kept); `truncated` says how much.
 * The passes evaluate the context afresh under the reply's steering: under the `keep` history policy, a history
 * evaluated under older steering is measured as if it had been evaluated under the reply's.
 */
import type {Token} from "node-llama-cpp";
import type {LoadedModel} from "../engine/runtime.js";
import {UserFacingError} from "../errors.js";
import type {HiddenStateCapture} from "../native/captureBridge.js";
import {checkedContextInfo, loadNativeSteering} from "../native/steeringBridge.js";
import {addSums, EMPTY_SUMS, gaugeFromSums, gaugeSums, type CoherenceGauge, type GaugeSums} from "./coherence.js";
import type {MixedControlVector} from "./mixControlVectors.js";
import {scheduleOf, type SteerPolicy} from "./steerPolicy.js";

export type GaugeRequest = {
    /** the tokens the model had read before the reply (BOS, history, prompt) */
    context: readonly Token[],
    /** the reply's tokens */
    reply: readonly Token[],
    /** the steering the reply was made under (null: none, the KL is then 0) */
    steering: MixedControlVector | null,
    /** how the reply was steered (default all) */
    policy?: SteerPolicy,
    /** the reply's text, for its compression ratio */
    text?: string,
    /** the n of the repeated n-gram share (default 3) */
    n?: number
};

export type MeasuredGauge = CoherenceGauge & {
    /** context tokens left out to fit the capture context */
    truncated: number,
    /** wall time of the two evaluations and the maths */
    seconds: number
};

/** the most logits held at once per pass (floats): a long reply on a big vocabulary is measured in pieces */
export const LOGIT_BUDGET = 16 * 1024 * 1024;

export class CoherenceMeter {
    /**
     * Two capture contexts, one never steered and one for the steered pass: setting a control vector makes llama.cpp
     * rebuild its compute graph on the next decode, so one context switching back and forth paid it twice a reply.
     */
    private captures: {plain?: HiddenStateCapture, steered?: HiddenStateCapture} = {};
    private queue: Promise<unknown> = Promise.resolve();
    private freed = false;
    readonly maxTokens: number;

    private readonly logitBudget: number;

    /**
     * `maxTokens`: the most context + reply tokens evaluated (default: the context's size, at most 2048);
     * `logitBudget`: the most logits held at once (default LOGIT_BUDGET floats).
     */
    constructor(private readonly loaded: LoadedModel, {maxTokens, logitBudget = LOGIT_BUDGET}: {maxTokens?: number,
        logitBudget?: number} = {}) {
        this.maxTokens = maxTokens ?? Math.min(loaded.context.contextSize, 2048);
        this.logitBudget = logitBudget;
    }

    measure(request: GaugeRequest): Promise<MeasuredGauge> {
        const result = this.queue.then(() => this.measureNow(request));
        this.queue = result.catch(() => undefined);
        return result;
    }

    /** rows of logits per pass: a long reply on a big vocabulary is measured in pieces of LOGIT_BUDGET floats */
    private rowsPerPass = 0;

    private open(which: "plain" | "steered"): HiddenStateCapture {
        const open = this.captures[which];
        if (open) return open;
        const status = loadNativeSteering();
        if (!status.available) throw new UserFacingError(`The coherence gauge is unavailable: ${status.reason}`, status.fix);
        const info = checkedContextInfo(status.native, this.loaded.context, this.loaded.model, "The coherence gauge");
        this.rowsPerPass = Math.max(1, Math.floor(this.logitBudget / Math.max(1, info.nVocab || 32_000)));
        return this.captures[which] = status.native.createCapture(this.loaded.context, this.maxTokens,
            this.loaded.context.currentThreads || 1);
    }

    private async measureNow({context, reply, steering, policy = "all", text, n}: GaugeRequest): Promise<MeasuredGauge> {
        if (this.freed) throw new Error("the coherence meter was freed");
        const started = performance.now();
        if (reply.length === 0 || context.length === 0)
            return {...gaugeFromSums(EMPTY_SUMS, reply, {n, text}), truncated: 0, seconds: 0};
        const plain = this.open("plain");
        const bos = this.loaded.model.tokens.bos;
        // the capture evaluates context + reply minus its last token (whose successor is not part of the reply)
        const room = this.maxTokens - (reply.length - 1);
        if (room < 2) throw new UserFacingError(`The reply (${reply.length} tokens) is too long for the gauge's ${this.maxTokens}`, "measure a shorter reply");
        let kept = [...context];
        if (kept.length > room) kept = bos != null && kept[0] === bos ? [bos,
            ...kept.slice(kept.length - room + 1)] : kept.slice(kept.length - room);
        const truncated = context.length - kept.length;
        const tokens = [...kept, ...reply.slice(0, -1)];
        const first = kept.length - 1; // the row that predicts reply[0]
        // from:N switches the vector on at the row that predicts reply[N]; first:N is measured as `all` (its later
        // rows read a steered history through an unsteered model, which the capture has no switch for)
        const schedule = scheduleOf(policy);
        const steerFrom = policy === "reply" ? kept.length - 1 : schedule?.kind === "from" ? kept.length - 1 + schedule.n : 0;
        let sums: GaugeSums = EMPTY_SUMS;
        for (let done = 0; done < reply.length;) {
            const count = Math.min(this.rowsPerPass, reply.length - done);
            const upTo = tokens.slice(0, first + done + count);
            const unsteered = await plain.logits(upTo, {fromRow: first + done});
            const steered = steering == null ? unsteered : await this.open("steered").logits(upTo, {fromRow: first + done, steering, steerFrom});
            const nVocab = unsteered.length / count;
            sums = addSums(sums, gaugeSums(steered, unsteered, nVocab, reply.slice(done, done + count)));
            done += count;
        }
        return {...gaugeFromSums(sums, reply, {n, text}), truncated, seconds: (performance.now() - started) / 1000};
    }

    /** Frees the capture contexts once the queued measurements are done. */
    async free() {
        this.freed = true;
        await this.queue;
        this.captures.plain?.free();
        this.captures.steered?.free();
        this.captures = {};
    }
}
