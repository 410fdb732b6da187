/**
 * The keys of the help overlay and of the preset dialog (Ctrl+S) as pure functions of (state, key), as the prompt's
 * editor (lineEditor.ts), the panel (panelKeys.ts) and the pick lists (listKeys.ts) are. The overlays keep their
 * state in a ref and apply each key to it at once, so the keys that arrive in one burst with the one that opened them
 * (Ctrl+S, the name, Enter, the description, Enter) act one after another, each on what the one before left.
 */
import type {Key} from "ink";
import {PRESET_NAME, PRESET_NAME_RULE} from "../presets/presetSchema.js";
import type {PresetOrigin} from "../presets/presetStore.js";
import {EMPTY_LINE, editLine, type Line} from "./lineEditor.js";

/**
 * The help's first row shown after a key, or "close": ↑/↓ (PgUp/PgDn a page) scroll when it does not fit, any other
 * key closes it. `last` is the last first row there can be (0: it fits), `visible` how many rows it shows.
 */
export function helpKey(top: number, key: Partial<Key>, {last, visible}: {last: number, visible: number}): number | "close" {
    if (last > 0 && (key.upArrow || key.downArrow || key.pageUp || key.pageDown)) {
        const step = key.pageUp || key.pageDown ? visible : 1;
        return Math.max(0, Math.min(last, Math.min(top, last) + (key.upArrow || key.pageUp ? -step : step)));
    }
    return "close";
}

/**
 * The preset dialog: the name being typed, then (for a name of the user's presets) the question whether to replace
 * it, then the description. `done` once it saved or closed: it takes no more keys.
 */
export type PresetDialog = {
    step: "name" | "confirm" | "description",
    line: Line,
    /** the name chosen (the description's step) */
    name?: string,
    /** the name of the user's preset the question is about */
    confirming?: string,
    problem?: string,
    done: boolean
};

export const PRESET_DIALOG_START: PresetDialog = {step: "name", line: EMPTY_LINE, done: false};

export type PresetDialogOutcome = {close: true} | {save: {name: string, description: string}};

export type PresetDialogResult = {state: PresetDialog, outcome?: PresetDialogOutcome};

/** whose preset a name already is (the store's), or undefined when there is none of that name */
export type OriginOf = (name: string) => PresetOrigin | undefined;

function submitName(dialog: PresetDialog, typed: string, originOf: OriginOf | undefined): PresetDialogResult {
    const value = typed.trim();
    if (value === "") return {state: {...dialog, done: true}, outcome: {close: true}};
    // a refused name stays in the field, to be corrected
    if (!PRESET_NAME.test(value))
        return {state: {...dialog, problem: `"${value}" cannot be a name: ${PRESET_NAME_RULE} (the description comes next)`}};
    const origin = originOf?.(value);
    if (origin === "shipped") return {state: {...dialog, problem: `"${value}" is a shipped preset and cannot be replaced: choose another name`}};
    if (origin === "user") return {state: {step: "confirm", line: EMPTY_LINE, confirming: value, done: false}};
    return {state: {step: "description", line: EMPTY_LINE, name: value, done: false}};
}

/**
 * One key. Esc closes at any step; Enter on an empty name closes too. At the question, y replaces the preset and any
 * other key goes back to the name; the rest of a text typed with the answer ("nother") is typed into what comes next.
 */
export function presetDialogKey(dialog: PresetDialog, input: string, key: Partial<Key>, originOf?: OriginOf): PresetDialogResult {
    if (dialog.done) return {state: dialog};
    if (key.escape) return {state: {...dialog, done: true}, outcome: {close: true}};
    if (dialog.step === "confirm") {
        const name = dialog.confirming!;
        const answered: PresetDialog = input.toLowerCase().startsWith("y")
            ? {step: "description", line: EMPTY_LINE, name, done: false}
            : {step: "name", line: EMPTY_LINE, problem: `Kept your preset "${name}": choose another name`, done: false};
        const rest = [...input].slice(1).join("");
        return rest === "" || key.ctrl || key.meta ? {state: answered} : presetDialogKey(answered, rest, {}, originOf);
    }
    const {line, submitted} = editLine(dialog.line, input, key);
    if (submitted == null) return line === dialog.line ? {state: dialog} : {state: {...dialog, line}};
    if (dialog.step === "name") return submitName(dialog, submitted, originOf);
    return {state: {...dialog, line, done: true}, outcome: {save: {name: dialog.name!, description: submitted.trim()}}};
}
