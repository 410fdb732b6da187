import {errorMessage} from "../engine/errors.js";
import {HISTORY_POLICIES, type HistoryPolicy} from "../engine/historyCache.js";
import type {LayerRange} from "../steering/mixControlVectors.js";
import {parseLayerRange, parseVectorSpec} from "../steering/steeringState.js";

/**
 * Slash commands typed at the prompt. Parsing is pure (no Ink, no model) so it is tested on its own;
 * the chat hook carries out the parsed command.
 */
export type SlashCommand =
    | {kind: "help"}
    | {kind: "vectorAdd", ref: string, coefficient: number}
    | {kind: "vectorSet", name: string, coefficient: number}
    | {kind: "vectorEnable", name: string, enabled: boolean}
    | {kind: "vectorRemove", name: string}
    | {kind: "layers", name: string, range: LayerRange | undefined}
    | {kind: "presetSave", name: string, description?: string}
    | {kind: "presetLoad", name: string}
    | {kind: "presetList"}
    | {kind: "steerOff"}
    | {kind: "steering"}
    | {kind: "regen"}
    | {kind: "compare"}
    | {kind: "sweep", name: string, from: number, to: number, step: number}
    | {kind: "save", file: string}
    | {kind: "train", name: string}
    | {kind: "history", policy?: HistoryPolicy}
    | {kind: "reeval"}
    | {kind: "clear"}
    | {kind: "exit"}
    | {kind: "system", text: string}
    | {kind: "unknown", name: string}
    | {kind: "invalid", message: string};

export const SLASH_COMMAND_HELP: [string, string][] = [
    ["/help", "this list (also F1, or ? in the steering panel)"],
    ["/vector add NAME[:C]", "load a vector (name or path) with coefficient C (default 1)"],
    ["/vector set NAME C", "set a vector's coefficient"],
    ["/vector off|on NAME", "switch a vector off or on"],
    ["/vector rm NAME", "remove a vector"],
    ["/layers NAME A-B", "apply a vector to layers A..B only (/layers NAME all: every layer)"],
    ["/steer off", "switch every vector off"],
    ["/steering", "show the steering now and the steering each reply was made with"],
    ["/preset save NAME [DESC]", "save the steering, system prompt and sampling as a preset"],
    ["/preset load NAME", "load a preset (its system prompt and sampling too)"],
    ["/preset list", "list presets"],
    ["/regen", "write the last reply again with the current steering"],
    ["/compare", "the last prompt answered with steering off and on, side by side"],
    ["/sweep NAME A..B STEP", "the last prompt answered at each coefficient of NAME, in a table"],
    ["/save FILE", "write the transcript (.md or .json) with each turn's steering"],
    ["/train RECIPE", "train a recipe's vector for this model (happy, formal, concise, confident, eiffel)"],
    ["/history keep|reeval", "after a steering change keep the evaluated history, or evaluate it again (no word: show)"],
    ["/reeval", "evaluate the history again under the current steering now (Esc stops)"],
    ["/clear", "forget the conversation (keeps the system prompt)"],
    ["/system <text>", "set the system prompt (empty text clears it)"],
    ["/exit", "quit (also Ctrl+C on an empty prompt)"]
];

export const KEY_HELP: [string, string][] = [
    ["Enter", "send"],
    ["Tab", "move between the prompt and the steering panel"],
    ["↑/↓ (panel)", "select a vector"],
    ["←/→ (panel)", "lower/raise its coefficient by 0.1 (with Shift: 0.5)"],
    ["Space, 0, a, d (panel)", "on/off · zero · add a vector · remove it"],
    ["Ctrl+S / Ctrl+P", "save the steering as a preset / pick a preset"],
    ["F1, ? (panel)", "this help"],
    ["Esc / Ctrl+C", "stop the reply being written (what was written is kept)"],
    ["Ctrl+C", "on an idle prompt: quit"]
];

export function isSlashCommand(input: string) {
    return input.trimStart().startsWith("/");
}

export function parseSlashCommand(input: string): SlashCommand {
    const trimmed = input.trim();
    const space = trimmed.search(/\s/);
    const name = (space < 0 ? trimmed : trimmed.slice(0, space)).toLowerCase();
    const rest = space < 0 ? "" : trimmed.slice(space + 1).trim();
    switch (name) {
        case "/help": case "/?": return {kind: "help"};
        case "/clear": return {kind: "clear"};
        case "/reeval": return {kind: "reeval"};
        case "/history":
            if (rest === "") return {kind: "history"};
            return (HISTORY_POLICIES as readonly string[]).includes(rest) ? {kind: "history", policy: rest as HistoryPolicy}
                : invalid(`usage: /history ${HISTORY_POLICIES.join("|")}`);
        case "/exit": case "/quit": return {kind: "exit"};
        case "/system": return {kind: "system", text: rest};
        case "/vector": return parseVectorCommand(rest);
        case "/layers": {
            const [vector, range] = words(rest);
            if (vector == null || range == null) return invalid("usage: /layers NAME A-B (or /layers NAME all)");
            if (range === "all") return {kind: "layers", name: vector, range: undefined};
            try {
                return {kind: "layers", name: vector, range: parseLayerRange(range)};
            } catch (err) {
                return invalid(errorMessage(err));
            }
        }
        case "/preset": {
            const [action, presetName] = words(rest);
            if (action === "list") return {kind: "presetList"};
            if (action === "load" && presetName != null) return {kind: "presetLoad", name: presetName};
            if (action === "save" && presetName != null) {
                // everything after the name is the description
                const description = rest.replace(/^\s*save\s+\S+\s*/, "").trim();
                return {kind: "presetSave", name: presetName, ...(description !== "" ? {description} : {})};
            }
            return invalid("usage: /preset save NAME [DESCRIPTION] · /preset load NAME · /preset list");
        }
        case "/steer":
            return rest === "off" ? {kind: "steerOff"} : invalid("usage: /steer off");
        case "/steering": return {kind: "steering"};
        case "/regen": return {kind: "regen"};
        case "/compare": return {kind: "compare"};
        case "/sweep": {
            const [vector, range, step] = words(rest);
            const match = range != null ? /^([-+]?[\d.]+)\.\.([-+]?[\d.]+)$/.exec(range) : null;
            const stepValue = Number(step);
            if (vector == null || match == null || !(stepValue > 0)) return invalid("usage: /sweep NAME A..B STEP, e.g. /sweep happy -1..1 0.5");
            const from = Number(match[1]);
            const to = Number(match[2]);
            if (!Number.isFinite(from) || !Number.isFinite(to)) return invalid("usage: /sweep NAME A..B STEP");
            if (Math.abs(to - from) / stepValue > 40) return invalid("a sweep is limited to 41 replies; use a larger STEP");
            return {kind: "sweep", name: vector, from, to, step: stepValue};
        }
        case "/train":
            return rest === "" ? invalid("usage: /train RECIPE (see vectors/recipes)") : {kind: "train", name: rest};
        case "/save":
            return rest === "" ? invalid("usage: /save FILE.md or /save FILE.json") : {kind: "save", file: rest};
        default: return {kind: "unknown", name};
    }
}

function words(text: string) {
    return text.split(/\s+/).filter((w) => w !== "");
}

function invalid(message: string): SlashCommand {
    return {kind: "invalid", message};
}

function parseVectorCommand(rest: string): SlashCommand {
    const [action, target, value] = words(rest);
    if (target == null) return invalid("usage: /vector add NAME[:C] · set NAME C · off NAME · on NAME · rm NAME");
    switch (action) {
        case "add": {
            try {
                const {ref, coefficient} = parseVectorSpec(target);
                return {kind: "vectorAdd", ref, coefficient};
            } catch (err) {
                return invalid(errorMessage(err));
            }
        }
        case "set": {
            const coefficient = Number(value);
            if (value == null || !Number.isFinite(coefficient)) return invalid("usage: /vector set NAME C (C a number, e.g. 0.5)");
            return {kind: "vectorSet", name: target, coefficient};
        }
        case "off": case "on": return {kind: "vectorEnable", name: target, enabled: action === "on"};
        case "rm": case "remove": return {kind: "vectorRemove", name: target};
        default: return invalid(`unknown /vector action "${action}": use add, set, off, on or rm`);
    }
}
