import {errorMessage} from "../errors.js";
import {expandHome} from "../engine/userFiles.js";
import {SAMPLING_SETTINGS, type SamplingSettingName} from "../engine/sampling.js";
import {HISTORY_POLICIES, type HistoryPolicy} from "../engine/historyCache.js";
import type {LayerRange} from "../steering/mixControlVectors.js";
import {checkCoefficient, COEFFICIENT_RANGE, coefficientProblem, parseLayerRange, parseVectorSpec} from "../steering/steeringState.js";

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
    | {kind: "save", file: string, force: boolean}
    | {kind: "set", name: SamplingSettingName, value: number | undefined}
    | {kind: "settings"}
    | {kind: "train", name: string}
    | {kind: "readout"}
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
    ["/save FILE [--force]", "write the transcript (.md or .json) with each turn's steering (--force: over a file)"],
    ["/set NAME VALUE", "sampling: temperature, top-k, top-p, min-p, seed (or random), max-tokens"],
    ["/settings", "show the sampling in use"],
    ["/train RECIPE", "train a recipe's vector for this model (happy, formal, concise, confident, eiffel)"],
    ["/readout", "what each vector read on the last reply, per layer and per token (a heat map)"],
    ["/history keep|reeval", "after a steering change keep the evaluated history, or evaluate it again (no word: show)"],
    ["/reeval", "evaluate the history again under the current steering now (Esc stops)"],
    ["/clear", "forget the conversation (keeps the system prompt)"],
    ["/system <text>", "set the system prompt (empty text clears it)"],
    ["/exit", "quit (also Ctrl+C on an empty prompt)"]
];

export const KEY_HELP: [string, string][] = [
    ["Enter", "send (while a reply is written: queued until it ends)"],
    ["Alt+Enter, \\ then Enter", "a new line in the prompt (a paste keeps its lines)"],
    ["↑/↓ (prompt)", "earlier prompts (kept between sessions)"],
    ["Tab", "move between the prompt and the steering panel"],
    ["↑/↓ (panel)", "select a vector"],
    ["←/→ (panel)", "lower/raise its coefficient by 0.1 (with Shift: 0.5)"],
    ["Space, 0, a, d (panel)", "on/off · zero · add a vector · remove it"],
    ["Ctrl+S / Ctrl+P", "save the steering as a preset / pick a preset"],
    ["F1, ? (panel)", "this help"],
    ["Esc / Ctrl+C", "stop the reply being written (what was written is kept)"],
    ["Ctrl+C", "clear the prompt; on an empty prompt: quit"],
    ["Ctrl+L", "clear the screen"],
    ["//TEXT", "send TEXT that starts with / (not a command)"]
];

/** A prompt starting with / is a command; one starting with // is a message that starts with / (see messageText). */
export function isSlashCommand(input: string) {
    const text = input.trimStart();
    return text.startsWith("/") && !text.startsWith("//");
}

/** the text a prompt that is not a command sends: `//x` sends `/x` */
export function messageText(input: string) {
    return input.replace(/^(\s*)\/\//, "$1/");
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
        case "/readout": return {kind: "readout"};
        case "/sweep": {
            const [vector, range, step] = words(rest);
            const match = range != null ? /^([-+]?[\d.]+)\.\.([-+]?[\d.]+)$/.exec(range) : null;
            const stepValue = Number(step);
            if (vector == null || match == null || !(stepValue > 0)) return invalid("usage: /sweep NAME A..B STEP, e.g. /sweep happy -1..1 0.5");
            const from = Number(match[1]);
            const to = Number(match[2]);
            if (!Number.isFinite(from) || !Number.isFinite(to)) return invalid("usage: /sweep NAME A..B STEP");
            if (coefficientProblem(from) || coefficientProblem(to)) return invalid(`a sweep's coefficients go ${COEFFICIENT_RANGE}`);
            if (Math.abs(to - from) / stepValue > 40) return invalid("a sweep is limited to 41 replies; use a larger STEP");
            return {kind: "sweep", name: vector, from, to, step: stepValue};
        }
        case "/train":
            return rest === "" ? invalid("usage: /train RECIPE (see vectors/recipes)") : {kind: "train", name: rest};
        case "/save": {
            // a trailing --force allows writing over an existing file
            const file = rest.replace(/\s+--force$/, "");
            if (file === "" || file === "--force") return invalid("usage: /save FILE.md or /save FILE.json (add --force to write over a file)");
            return {kind: "save", file: expandHome(file), force: file !== rest};
        }
        case "/set": return parseSetCommand(rest);
        case "/settings": return {kind: "settings"};
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
                return {kind: "vectorAdd", ref: expandHome(ref), coefficient};
            } catch (err) {
                return invalid(errorMessage(err));
            }
        }
        case "set": {
            const coefficient = Number(value);
            if (value == null || value.trim() === "" || Number.isNaN(coefficient)) return invalid("usage: /vector set NAME C (C a number, e.g. 0.5)");
            try {
                return {kind: "vectorSet", name: target, coefficient: checkCoefficient(coefficient, target)};
            } catch (err) {
                return invalid(errorMessage(err));
            }
        }
        case "off": case "on": return {kind: "vectorEnable", name: target, enabled: action === "on"};
        case "rm": case "remove": return {kind: "vectorRemove", name: target};
        default: return invalid(`unknown /vector action "${action}": use add, set, off, on or rm`);
    }
}

/** `/set temperature 0.2`, `/set seed random` (a new seed each reply). */
function parseSetCommand(rest: string): SlashCommand {
    const [name, raw, extra] = words(rest);
    const usage = `usage: /set NAME VALUE with NAME one of ${Object.keys(SAMPLING_SETTINGS).join(", ")}`;
    if (name == null || raw == null || extra != null || !Object.hasOwn(SAMPLING_SETTINGS, name)) return invalid(usage);
    const setting = SAMPLING_SETTINGS[name as SamplingSettingName];
    if (name === "seed" && raw === "random") return {kind: "set", name: "seed", value: undefined};
    const value = Number(raw);
    const max = "max" in setting ? setting.max : undefined;
    if (!Number.isFinite(value) || value < setting.min || (max != null && value > max) || (setting.integer && !Number.isInteger(value)))
        return invalid(`Invalid value for ${name}: "${raw}" — use ${setting.integer ? "a whole number" : "a number"} >= ${setting.min}${max != null ? ` and <= ${max}` : ""}${name === "seed" ? ", or random" : ""}`);
    return {kind: "set", name: name as SamplingSettingName, value};
}
