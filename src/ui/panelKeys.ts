/**
 * The steering panel's keys as a pure function of (panel, key), as the prompt's editor is (lineEditor.ts). The
 * panel applies every key to the latest steering and selection at once, so keys that arrive in one burst (a held
 * arrow, tmux send-keys, ssh) act one after another: → → → raises a coefficient by 0.3, ↓ Space switches the row
 * moved to, 0 → gives 0.10. A handler that read the state of its last render did each of them to that render's state.
 */
import type {Key} from "ink";
import {MAX_COEFFICIENT, type SteeringState} from "../steering/steeringState.js";

export const COEFFICIENT_STEP = 0.1;
export const SHIFT_MULTIPLIER = 5;

/** the steering the next turn will use, and the row the keys change */
export type PanelState = {steering: SteeringState, selected: number};

/** what a key asks of the screen around the panel: open the vector picker, or the help */
export type PanelCommand = "add" | "help";

export type PanelKeyResult = {state: PanelState, command?: PanelCommand};

/** the selection within the rows there are (a vector removed by a command may leave it past the last) */
export const clampSelection = (selected: number, rows: number) => Math.max(0, Math.min(rows - 1, selected));

/** the coefficient after an arrow: it stops at the vector's calibrated range (/calibrate), else at the coefficient bound */
function stepped(entry: SteeringState["entries"][number], step: number): number {
    const {min, max} = entry.range ?? {min: -MAX_COEFFICIENT, max: MAX_COEFFICIENT};
    // a value already outside the range (set with /vector set) is not pulled in by a step away from it
    return Math.max(Math.min(min, entry.coefficient), Math.min(Math.max(max, entry.coefficient), entry.coefficient + step));
}

/**
 * One key: ↑/↓ select, ←/→ ±0.1 (Shift ×5), Space on/off, 0 zero, d remove, a add, ? help. The steering returned is
 * a new state when the key changes it (the caller stages it), else the same one.
 */
export function panelKey(panel: PanelState, input: string, key: Partial<Key>): PanelKeyResult {
    const {steering} = panel;
    const rows = steering.entries.length;
    const selected = clampSelection(panel.selected, rows);
    const same = {state: {steering, selected}};
    if (input === "?") return {...same, command: "help"};
    // Ctrl+letters are the app's (Ctrl+D must not remove a vector)
    if (key.ctrl) return same;
    if (input === "a") return {...same, command: "add"};
    const entry = steering.entries[selected];
    if (entry == null) return same;
    const change = (next: SteeringState) => ({state: {steering: next, selected: clampSelection(selected, next.entries.length)}});
    if (key.upArrow) return {state: {steering, selected: clampSelection(selected - 1, rows)}};
    if (key.downArrow) return {state: {steering, selected: clampSelection(selected + 1, rows)}};
    if (key.leftArrow || key.rightArrow) {
        const step = COEFFICIENT_STEP * (key.shift ? SHIFT_MULTIPLIER : 1) * (key.leftArrow ? -1 : 1);
        const value = stepped(entry, step);
        return value === entry.coefficient ? same : change(steering.setCoefficient(entry.name, value));
    }
    if (input === " ") return change(steering.setEnabled(entry.name, !entry.enabled));
    if (input === "0") return entry.coefficient === 0 ? same : change(steering.setCoefficient(entry.name, 0));
    if (input === "d") return change(steering.remove(entry.name));
    return same;
}

/**
 * The keys in one input: Ink hands typed text that arrives together ("0 ", tmux send-keys "Space" "Space") to the
 * handler as one string, which is one key per character here. An escape sequence (an arrow) is one key already.
 */
export function keysOf(input: string, key: Partial<Key>): [string, Partial<Key>][] {
    const chars = [...input];
    if (chars.length <= 1 || key.ctrl || key.meta) return [[input, key]];
    return chars.map((ch) => [ch, {}]);
}
