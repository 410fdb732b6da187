import type {Reply} from "../engine/conversation.js";
import type {SteeringSnapshot} from "../steering/describe.js";
import type {SamplingOptions} from "../engine/sampling.js";
import type {CoherenceGauge} from "../steering/coherence.js";
import type {GateDecision} from "../steering/conditionGate.js";

/** One entry of the chat's transcript: what was said, by whom, and for a reply how it was made. */
export type ChatMessage = {
    id: number,
    /** "stream": finished lines of a reply being written, shown once (transcripts take the reply's own message) */
    role: "user" | "assistant" | "stream" | "note" | "error",
    text: string,
    /** for assistant messages whose first lines were already shown as "stream" messages: the rest, to show */
    shownText?: string,
    /** for "stream" messages and an assistant message's shown rest (chat mode, drawn as Markdown): the code fence open
     * where the part starts (its opening line), so the part is drawn as the code it is */
    openFence?: string,
    /** for assistant messages: how the reply ended and how fast it was written */
    reply?: Omit<Reply, "text" | "tokens">,
    /** for assistant messages: the steering it was made with */
    steering?: SteeringSnapshot,
    /** for assistant messages: what each loaded vector read on the reply (z against the neutral text), once read */
    readout?: Record<string, number>,
    /** for assistant messages: /regen or /compare answered the same prompt again, so the conversation moved on without it */
    replaced?: boolean,
    /** for assistant messages: KL from the unsteered model, repetition and perplexity, once measured */
    gauge?: CoherenceGauge,
    /** for assistant messages: the sampling it was written with */
    sampling?: SamplingOptions,
    /** for assistant messages: the condition gate's decision (--when); closed, the reply was unsteered */
    gate?: GateDecision,
    /** a note that is a /compare or /sweep result: kept in the transcript */
    trial?: "compare" | "sweep" | "calibrate",
    /** the note /clear leaves: the conversation started again after it */
    cleared?: boolean
};
