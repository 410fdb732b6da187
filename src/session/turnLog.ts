/**
 * The chat's transcript, owned by the session (ChatSession.transcript): one list of what was said, in order — each
 * prompt, each reply with how it was made (text, tokens, steering, sampling, steering policy, timing, and once
 * measured its gauge and read-out; whether it was complete, stopped or failed), the /compare, /sweep and /calibrate
 * results, and where /clear started again. /save writes it and /steering reads it; the screen shows its replies
 * (holding references to its entries, never copies of their text) and keeps only how a reply being written is split
 * into lines.
 *
 * It stays in step with the conversation's history: `history()` is the exchanges the conversation holds (a reply
 * /regen or /compare replaced, a failed reply and what came before /clear are not among them; exchanges a context
 * shift left out of the model's window stay, as they stay in the conversation's turns).
 * The reply being written is the `draft`: every generation the session runs streams into it, so the screen shows
 * the session's text and never a copy of its own. Pure: no model, no Ink.
 */
import type {GateDecision} from "../steering/conditionGate.js";
import type {Reply} from "../engine/conversation.js";
import type {SamplingOptions} from "../engine/sampling.js";
import type {CoherenceGauge} from "../steering/coherence.js";
import type {SteeringSnapshot} from "../steering/describe.js";
import type {SteerPolicy} from "../steering/steerPolicy.js";
import type {SendOptions} from "../engine/conversation.js";

/** how a reply ended: whole (eos, max tokens, context full), stopped by Esc (partial), or failed mid-reply (partial) */
export type ReplyOutcome = "complete" | "stopped" | "failed";

/** a reply's figures: how it ended, how fast, its history record and timing (the Reply without its text and tokens) */
export type ReplyStats = Omit<Reply, "text" | "tokens">;

/** A generation being written: its text so far. Only the log appends to it; it does not change once it ended. */
export type Draft = {readonly id: number, readonly text: string};

/** `failed`: the reply to it failed, so the conversation never took the prompt in */
export type UserEntry = {kind: "user", id: number, text: string, failed?: boolean};
export type ReplyEntry = {
    kind: "reply",
    id: number,
    text: string,
    tokens: Reply["tokens"],
    /** undefined for a failed reply (the conversation never returned one) */
    stats?: ReplyStats,
    steering: SteeringSnapshot,
    sampling: SamplingOptions,
    policy: SteerPolicy,
    outcome: ReplyOutcome,
    /** the error a failed reply ended with */
    error?: string,
    /** /regen or /compare answered the same prompt again: the conversation went on without this reply */
    replaced?: boolean,
    /** what each loaded vector read on the reply (z against the neutral text), once read */
    readout?: Record<string, number>,
    /** KL from the unsteered model, repetition and perplexity, once measured */
    gauge?: CoherenceGauge,
    /** the condition gate's decision (--when); closed, the reply was unsteered */
    gate?: GateDecision
};
export type TrialKind = "compare" | "sweep" | "calibrate";
export type TrialEntry = {kind: "trial", id: number, command: TrialKind, text: string};
export type ClearedEntry = {kind: "cleared", id: number};
export type TranscriptEntry = UserEntry | ReplyEntry | TrialEntry | ClearedEntry;

/** How a reply was made, as the session knows it when it ends. */
export type ReplyMaking = {steering: SteeringSnapshot, sampling: SamplingOptions, policy: SteerPolicy, gate?: GateDecision};

/** One exchange of the conversation's history. */
export type Exchange = {user: string, reply: string};

/** a reply the conversation took in (replaced later or not) */
const answered = (entry: TranscriptEntry): entry is ReplyEntry => entry.kind === "reply" && entry.outcome !== "failed";

function lastIndex<T>(list: readonly T[], test: (item: T) => boolean): number {
    for (let i = list.length - 1; i >= 0; i--) if (test(list[i]!)) return i;
    return -1;
}

class LiveDraft implements Draft {
    text = "";
    constructor(readonly id: number) {}
}

export class TurnLog {
    private list: TranscriptEntry[] = [];
    private nextId = 0;
    private live: LiveDraft | undefined;

    entries(): readonly TranscriptEntry[] {
        return this.list;
    }

    /** the generation being written now, or the last one (its text stays as it ended) */
    get draft(): Draft | undefined {
        return this.live;
    }

    /** the replies since the last /clear, in order (replaced and failed ones too) */
    repliesSinceClear(): ReplyEntry[] {
        const start = lastIndex(this.list, (e) => e.kind === "cleared") + 1;
        return this.list.slice(start).filter((e): e is ReplyEntry => e.kind === "reply");
    }

    /** the reply recorded from a draft (undefined for a trial's generation, or while it is written) */
    replyOf(draft: Draft): ReplyEntry | undefined {
        return this.list.find((e): e is ReplyEntry => e.kind === "reply" && e.id === draft.id);
    }

    addUser(text: string): UserEntry {
        return this.push({kind: "user", id: this.nextId++, text});
    }

    /**
     * Starts a generation: a new draft, and the options that stream into it before passing each chunk on. Called
     * synchronously where the generation's stream is made, so the screen never reads the previous one's text for it.
     */
    streamInto(stream: SendOptions): SendOptions {
        const draft = new LiveDraft(this.nextId++);
        this.live = draft;
        return {...stream, onText: (chunk) => {
            draft.text += chunk;
            stream.onText?.(chunk);
        }};
    }

    /** The conversation returned the draft's reply: it becomes the answer to the last prompt (replacing one, if any). */
    addReply(reply: Reply, making: ReplyMaking): ReplyEntry {
        const {text, tokens, ...stats} = reply;
        const last = this.liveReply();
        if (last != null) this.set(last.id, {replaced: true});
        return this.push({kind: "reply", id: this.currentDraftId(), text, tokens, stats, ...making,
            outcome: reply.stopReason === "aborted" ? "stopped" : "complete"});
    }

    /** The draft's generation threw: its text so far, marked failed; the conversation's history is as it was. */
    addFailed(error: string, making: ReplyMaking): ReplyEntry {
        // a new prompt's reply failed (not /regen's or /compare's, which answer a prompt the conversation holds)
        const prompt = lastIndex(this.list, (e) => e.kind === "user");
        if (prompt >= 0 && !this.list.slice(prompt).some(answered)) this.setUser(this.list[prompt]!.id, {failed: true});
        return this.push({kind: "reply", id: this.currentDraftId(), text: this.live?.text ?? "", tokens: [], ...making,
            outcome: "failed", error});
    }

    addTrial(command: TrialKind, text: string): TrialEntry {
        return this.push({kind: "trial", id: this.nextId++, command, text});
    }

    /** /clear: the conversation starts again after this */
    clear(): ClearedEntry {
        return this.push({kind: "cleared", id: this.nextId++});
    }

    setReadout(id: number, readout: Record<string, number>) {
        this.set(id, {readout});
    }

    setGauge(id: number, gauge: CoherenceGauge) {
        this.set(id, {gauge});
    }

    /**
     * The exchanges the conversation holds, as the log says: since the last /clear, each prompt with the last reply
     * to it that was neither replaced nor failed (a prompt whose reply failed is not in the conversation).
     */
    history(): Exchange[] {
        const exchanges: Exchange[] = [];
        let user: string | undefined;
        let reply: string | undefined;
        const close = () => {
            if (user != null && reply != null) exchanges.push({user, reply});
        };
        for (const entry of this.list) {
            if (entry.kind === "cleared") {
                exchanges.length = 0;
                user = reply = undefined;
            } else if (entry.kind === "user" && !entry.failed) {
                close();
                user = entry.text;
                reply = undefined;
            } else if (answered(entry) && !entry.replaced) reply = entry.text;
        }
        close();
        return exchanges;
    }

    /** the reply the conversation holds for the last prompt (the one /regen or /compare replaces), if any */
    private liveReply(): ReplyEntry | undefined {
        for (let i = this.list.length - 1; i >= 0; i--) {
            const entry = this.list[i]!;
            if ((entry.kind === "user" && !entry.failed) || entry.kind === "cleared") return undefined;
            if (answered(entry) && !entry.replaced) return entry;
        }
        return undefined;
    }

    private currentDraftId(): number {
        // a reply recorded without a stream (a caller that never streamed) still gets an id of its own
        return this.live != null && this.replyOf(this.live) == null ? this.live.id : this.nextId++;
    }

    private push<T extends TranscriptEntry>(entry: T): T {
        this.list = [...this.list, entry];
        return entry;
    }

    /** entries are replaced, not changed in place: a reference the screen holds keeps what it was shown */
    private set(id: number, change: Partial<ReplyEntry>) {
        this.list = this.list.map((e) => (e.id === id && e.kind === "reply" ? {...e, ...change} : e));
    }

    private setUser(id: number, change: Partial<UserEntry>) {
        this.list = this.list.map((e) => (e.id === id && e.kind === "user" ? {...e, ...change} : e));
    }
}
