/**
 * The steering panel's and the pick lists' keys as pure reducers (src/ui/panelKeys.ts, src/ui/listKeys.ts): a
 * sequence of keys, each applied to the state the one before left, gives the state a person expects.
 */
import {describe, expect, it} from "vitest";
import type {Key} from "ink";
import {clampSelection, keysOf, panelKey, type PanelCommand, type PanelState} from "../../src/ui/panelKeys.js";
import {LIST_START, listKey, type ListOutcome, type ListState} from "../../src/ui/listKeys.js";
import {SteeringState, type SteeringEntry} from "../../src/steering/steeringState.js";

type Press = string | [string, Partial<Key>];
const right: Press = ["", {rightArrow: true}];
const left: Press = ["", {leftArrow: true}];
const shiftRight: Press = ["", {rightArrow: true, shift: true}];
const up: Press = ["", {upArrow: true}];
const down: Press = ["", {downArrow: true}];
const enter: Press = ["\r", {return: true}];
const escape: Press = ["", {escape: true, meta: true}];
const ctrl = (ch: string): Press => [ch, {ctrl: true}];
const split = (k: Press): [string, Partial<Key>] => (typeof k === "string" ? [k, {}] : k);

const entry = (name: string, coefficient: number, extra: Partial<SteeringEntry> = {}): SteeringEntry =>
    ({name, source: `/v/${name}.gguf`, vector: {nEmbd: 4, directions: new Map([[1, new Float32Array(4).fill(1)]])}, coefficient, enabled: true, ...extra});

/** the panel after the keys, each applied to the state the one before left; the commands they asked for */
function panel(steering: SteeringState, ...keys: Press[]) {
    let state: PanelState = {steering, selected: 0};
    const commands: PanelCommand[] = [];
    for (const k of keys) {
        const result = panelKey(state, ...split(k));
        state = result.state;
        if (result.command) commands.push(result.command);
    }
    return {...state, commands, rows: state.steering.entries.map((e) => [e.name, e.coefficient, e.enabled])};
}

function list(rows: number, ...keys: Press[]) {
    let state: ListState = LIST_START;
    const outcomes: [ListOutcome, number][] = [];
    for (const k of keys) {
        const result = listKey(state, rows, ...split(k));
        state = result.state;
        if (result.outcome) outcomes.push([result.outcome, state.index]);
    }
    return {...state, outcomes};
}

const two = new SteeringState([entry("happy", 0.5), entry("calm", 1)]);

describe("the steering panel's keys", () => {
    it("→ → → raises the coefficient by 0.3 (each key from the last one's value); ← and Shift ×5", () => {
        expect(panel(two, right, right, right).rows[0]).toEqual(["happy", 0.8, true]);
        expect(panel(two, shiftRight, left, left).rows[0]).toEqual(["happy", 0.8, true]);
        // a held arrow: every repeat applies, with no float noise
        expect(panel(two, ...Array<Press>(15).fill(right)).rows[0]).toEqual(["happy", 2, true]);
        expect(panel(two, ...Array<Press>(10).fill(left)).rows[0]).toEqual(["happy", -0.5, true]);
    });

    it("↓ Space switches the row moved to, not the one before; ↓ → changes that row only", () => {
        expect(panel(two, down, " ").rows).toEqual([["happy", 0.5, true], ["calm", 1, false]]);
        expect(panel(two, down, right).rows).toEqual([["happy", 0.5, true], ["calm", 1.1, true]]);
        expect(panel(two, down, down, down).selected).toBe(1); // stops at the last row
        expect(panel(two, down, up, up).selected).toBe(0);
    });

    it("0 → on a vector at 1.00 gives 0.10", () => {
        expect(panel(two, down, "0", right).rows[1]).toEqual(["calm", 0.1, true]);
        expect(panel(two, "0", "0").rows[0]).toEqual(["happy", 0, true]);
    });

    it("Space Space puts it back; d removes the selected row and the selection stays on a row", () => {
        expect(panel(two, " ", " ").rows[0]).toEqual(["happy", 0.5, true]);
        const removed = panel(two, down, "d");
        expect(removed.rows).toEqual([["happy", 0.5, true]]);
        expect(removed.selected).toBe(0);
        expect(panel(two, down, "d", right).rows).toEqual([["happy", 0.6, true]]);
        expect(panel(two, "d", "d", "d").rows).toEqual([]);
    });

    it("the arrows stop at the vector's range, or the coefficient bound; a value already past it is not pulled in", () => {
        const ranged = new SteeringState([entry("happy", 0.9, {range: {min: -1, max: 1}}), entry("big", 999.95)]);
        expect(panel(ranged, right, right).rows[0]).toEqual(["happy", 1, true]);
        expect(panel(ranged, down, right, right).rows[1]).toEqual(["big", 1000, true]);
        const outside = new SteeringState([entry("happy", 3, {range: {min: -1, max: 1}})]);
        expect(panel(outside, right).rows[0]).toEqual(["happy", 3, true]);
        expect(panel(outside, left).rows[0]).toEqual(["happy", 2.9, true]);
    });

    it("a key that changes nothing returns the same steering (nothing is staged)", () => {
        for (const k of [up, down, "x", ctrl("d"), ctrl("s"), ["\t", {tab: true}] as Press]) {
            const before: PanelState = {steering: two, selected: 0};
            expect(panelKey(before, ...split(k)).state.steering).toBe(two);
        }
        const zero = new SteeringState([entry("happy", 0)]);
        expect(panelKey({steering: zero, selected: 0}, "0", {}).state.steering).toBe(zero);
    });

    it("a opens the picker and ? the help, with or without vectors; other keys do nothing without vectors", () => {
        expect(panel(new SteeringState(), right, "0", " ", "d", "a", "?").commands).toEqual(["add", "help"]);
        expect(panel(two, "a").commands).toEqual(["add"]);
        expect(panel(two, ctrl("a")).commands).toEqual([]); // Ctrl+letters are the app's
    });

    it("a selection left past the last row (a vector removed by a command) starts from the last row", () => {
        const one = new SteeringState([entry("happy", 0.5)]);
        expect(panelKey({steering: one, selected: 3}, ...split(right)).state).toMatchObject({selected: 0});
        expect(panelKey({steering: one, selected: 3}, ...split(right)).state.steering.get("happy").coefficient).toBe(0.6);
        expect(clampSelection(-1, 2)).toBe(0);
        expect(clampSelection(5, 0)).toBe(0);
    });

    it("typed text that arrives as one input is one key per character; an arrow or a Ctrl key is one key", () => {
        expect(keysOf("0 ", {})).toEqual([["0", {}], [" ", {}]]);
        expect(keysOf(" ", {})).toEqual([[" ", {}]]);
        expect(keysOf("", {rightArrow: true})).toEqual([["", {rightArrow: true}]]);
        expect(keysOf("s", {ctrl: true})).toEqual([["s", {ctrl: true}]]);
        expect(panel(two, ...keysOf("  ", {})).rows[0]).toEqual(["happy", 0.5, true]);
    });
});

describe("a pick list's keys", () => {
    it("↓ Enter chooses the second row; ↓ ↓ ↑ Enter the second too", () => {
        expect(list(4, down, enter).outcomes).toEqual([["choose", 1]]);
        expect(list(4, down, down, up, enter).outcomes).toEqual([["choose", 1]]);
        expect(list(4, enter).outcomes).toEqual([["choose", 0]]);
    });

    it("↑ and ↓ wrap around", () => {
        expect(list(3, up).index).toBe(2);
        expect(list(3, down, down, down).index).toBe(0);
    });

    it("after a choice or a cancel the list takes no more keys (the rest of a burst is not a second choice)", () => {
        expect(list(4, down, enter, down, enter)).toEqual({index: 1, done: true, outcomes: [["choose", 1]]});
        expect(list(4, escape, down, enter).outcomes).toEqual([["cancel", 0]]);
        expect(list(4, ctrl("c"), enter).outcomes).toEqual([["cancel", 0]]);
    });

    it("an empty list chooses nothing and can still be cancelled; other keys do nothing", () => {
        expect(list(0, down, enter, up).outcomes).toEqual([]);
        expect(list(0, escape).outcomes).toEqual([["cancel", 0]]);
        expect(list(3, "x", ["\t", {tab: true}], down).index).toBe(1);
    });

    it("a position past a list that became shorter starts from its last row", () => {
        expect(listKey({index: 5, done: false}, 2, ...split(enter))).toEqual({state: {index: 1, done: true}, outcome: "choose"});
    });
});
