/**
 * A condition gate on the steering (`--when NAME>Z`, `/when`, presets' "when"): a reply is steered only when its
 * prompt's overall read-out z on the condition vector passes the threshold. The z is the one `steer-chat read`
 * prints for the same text ("overall z": the mean over the vector's layers of each layer's z against the built-in
 * neutral baseline, conceptReader.ts), read on the capture context, unsteered, before the reply.
 *
 * A closed gate makes the whole turn unsteered, prompt and history included, as if the steering were off for that
 * turn: the conversation's hooks say so (its settings key is the unsteered one, so the history ledger is exact), the
 * staged steering is left as it is, and the next open turn puts it back.
 */
import {UserFacingError} from "../errors.js";
import type {ReplySettings} from "../engine/conversation.js";
import type {LoadedModel} from "../engine/runtime.js";
import {ConceptReader} from "./conceptReader.js";
import type {ControlVector} from "./controlVector.js";
import {loadControlVector} from "./loadControlVector.js";
import {UNSTEERED_KEY} from "./steerPolicy.js";
import type {SteeringController} from "./steeringController.js";
import {findVectorFile, vectorNameOf} from "./vectorLibrary.js";

/** `ref` (a vector's name or path) read above (`>`) or below (`<`) `threshold` */
export type Condition = {ref: string, op: ">" | "<", threshold: number};

/** a reply's gate: the condition, the prompt's z, and whether the steering was on */
export type GateDecision = {vector: string, op: ">" | "<", threshold: number, z: number, open: boolean};

/** `NAME>Z` or `NAME<Z` (the last `>` or `<` splits it), or undefined */
export function parseCondition(text: string): Condition | undefined {
    const raw = text.trim();
    const at = Math.max(raw.lastIndexOf(">"), raw.lastIndexOf("<"));
    if (at <= 0) return undefined;
    const ref = raw.slice(0, at).trim();
    const number = raw.slice(at + 1).trim();
    const threshold = Number(number);
    if (ref === "" || number === "" || !Number.isFinite(threshold)) return undefined;
    return {ref, op: raw[at] as ">" | "<", threshold};
}

/** parseCondition, or a UserFacingError naming `where` (a flag, a command, a preset field) */
export function conditionOf(where: string, text: string): Condition {
    const condition = parseCondition(text);
    if (condition == null)
        throw new UserFacingError(`Invalid value for ${where}: "${text}"`,
            "use NAME>Z or NAME<Z: steer a reply only when its prompt reads above (or below) z = Z on vector NAME");
    return condition;
}

/** the condition as it is typed (and stored in presets) */
export function conditionText(c: Condition): string {
    return `${c.ref}${c.op}${c.threshold}`;
}

/** whether `z` passes the condition (a z that could not be computed does not) */
export function decide(condition: Pick<Condition, "op" | "threshold">, vector: string, z: number): GateDecision {
    const open = Number.isFinite(z) && (condition.op === ">" ? z > condition.threshold : z < condition.threshold);
    return {vector, op: condition.op, threshold: condition.threshold, z, open};
}

const signed = (x: number) => (Number.isNaN(x) ? "n/a" : `${x >= 0 ? "+" : ""}${x.toFixed(2)}`);

/** `when sue>0.5: prompt z +1.23, steered` (names are the user's own text: the caller escapes the line) */
export function describeDecision(d: GateDecision): string {
    return `when ${d.vector}${d.op}${d.threshold}: prompt z ${signed(d.z)}, ${d.open ? "steered" : "not steered"}`;
}

/** the condition in words, for the panel, the status line and /steering */
export function describeCondition(c: Condition): string {
    return `when ${c.ref}${c.op}${c.threshold}`;
}

/** Reads prompts' overall z on condition vectors, on a capture context of its own (made on first use, grown as needed). */
export class ConditionReader {
    private reader: ConceptReader | undefined;
    private readonly vectors = new Map<string, Promise<{name: string, vector: ControlVector}>>();

    constructor(private readonly loaded: LoadedModel) {}

    /** the vector a condition names, loaded once */
    vectorOf(ref: string): Promise<{name: string, vector: ControlVector}> {
        let known = this.vectors.get(ref);
        if (known == null) {
            known = (async () => {
                const file = findVectorFile(ref);
                return {name: vectorNameOf(file), vector: await loadControlVector(file)};
            })();
            known.catch(() => this.vectors.delete(ref));
            this.vectors.set(ref, known);
        }
        return known;
    }

    /** the decision for a prompt: its overall z on the condition's vector, as `steer-chat read` computes it */
    async decide(condition: Condition, text: string): Promise<GateDecision> {
        const {name, vector} = await this.vectorOf(condition.ref);
        const tokens = this.loaded.model.tokenize(text, true).length + 1;
        const cap = Math.min(this.loaded.model.trainContextSize, 8192);
        if (tokens > cap) throw new UserFacingError(`The prompt is longer than the ${cap} tokens the condition gate reads`, "/when off, or a shorter prompt");
        if (this.reader == null || this.reader.maxTokens < tokens) {
            this.reader?.free();
            this.reader = undefined;
            this.reader = ConceptReader.create(this.loaded, {maxTokens: tokens});
        }
        const reading = await this.reader.read(text, vector);
        return decide(condition, name, reading.readout.z);
    }

    free() {
        this.reader?.free();
        this.reader = undefined;
    }
}

/** this turn's gate: set before the turn, cleared after it */
export type GateState = {closed: boolean};

/**
 * The conversation's steering hooks and reply-only settings under a condition gate: while `gate.closed`, the turn is
 * unsteered (the vector cleared after the staged steering is applied, the settings key the unsteered one, no
 * reply-only switch, schedule or code gate); the first open turn after a closed one puts the steering back.
 */
export function gatedSteering(controller: SteeringController, gate: GateState,
    hooks: {beforeTurn: () => boolean | Promise<boolean>, settingsKey: () => string}, reply: ReplySettings) {
    let closedBefore = false;
    return {
        beforeTurn: async () => {
            const changed = await hooks.beforeTurn();
            const closed = gate.closed;
            if (closed) controller.applyUnsteered();
            else if (closedBefore && !changed) controller.reapply();
            const flipped = closed !== closedBefore;
            closedBefore = closed;
            return changed || flipped;
        },
        settingsKey: () => (gate.closed ? UNSTEERED_KEY : hooks.settingsKey()),
        replySettings: {
            ...reply,
            active: () => !gate.closed && reply.active(),
            toReply: () => (gate.closed ? controller.applyUnsteered() : reply.toReply()),
            replySwitch: () => (gate.closed ? undefined : reply.replySwitch?.()),
            replyGate: () => (gate.closed ? undefined : reply.replyGate?.())
        } satisfies ReplySettings
    };
}
