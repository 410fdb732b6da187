/**
 * The session's steering gates, beside the policy (all/reply/first:N/from:N): `--steer-code off` (no steering inside
 * fenced code blocks of the reply; the conversation's generation gate, steerPolicy.ts) and the condition gate
 * `--when NAME>Z` (a reply is steered only when its prompt reads past Z on vector NAME; conditionGate.ts). The session
 * asks decide() before each turn and end() after it; the conversation's hooks read `state`.
 */
import type {LoadedModel} from "../engine/runtime.js";
import {presetConditionRef} from "../presets/applyPreset.js";
import {ConditionReader, conditionText, describeCondition, type Condition, type GateDecision, type GateState} from "../steering/conditionGate.js";
import type {CodeSteering} from "../steering/steerPolicy.js";

export class SteeringGates {
    code: CodeSteering;
    private condition: Condition | undefined;
    /** this turn's condition gate, read by the conversation's hooks */
    readonly state: GateState = {closed: false};
    private reader: ConditionReader | undefined;

    constructor(private readonly loaded: LoadedModel, {code = "on", when}: {code?: CodeSteering, when?: Condition} = {}) {
        this.code = code;
        this.condition = when;
    }

    get when(): Condition | undefined {
        return this.condition;
    }

    /** /when NAME>Z (the vector is loaded now, so a wrong name fails here), or /when off (undefined) */
    async setWhen(condition: Condition | undefined): Promise<void> {
        if (condition != null) await this.readerOf().vectorOf(condition.ref);
        this.condition = condition;
    }

    /** Before a turn: the condition gate's decision on the prompt (undefined without one); the turn runs under it. */
    async decide(prompt: string): Promise<GateDecision | undefined> {
        this.state.closed = false;
        if (this.condition == null) return undefined;
        const decision = await this.readerOf().decide(this.condition, prompt);
        this.state.closed = !decision.open;
        return decision;
    }

    /** After a turn: /reeval and trials between turns run open */
    end() {
        this.state.closed = false;
    }

    /** the gates in words (none when both are off): `code off`, `when sue>0.5` */
    describe(): string[] {
        return [...this.code === "off" ? ["code off"] : [], ...this.condition ? [describeCondition(this.condition)] : []];
    }

    /** what a preset stores of them */
    presetFields(): {steerCode?: CodeSteering, when?: string} {
        return {...this.code === "off" ? {steerCode: "off" as const} : {},
            ...this.condition ? {when: conditionText({...this.condition, ref: presetConditionRef(this.condition.ref)})} : {}};
    }

    free() {
        this.reader?.free();
        this.reader = undefined;
    }

    private readerOf(): ConditionReader {
        return this.reader ??= new ConditionReader(this.loaded);
    }
}
