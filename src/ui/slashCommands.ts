/**
 * What is typed at the prompt: a message, or a slash command from the table in ./commands. Parsing is pure (no
 * Ink, no model), so it is tested on its own; the chat hook runs the parsed command.
 */
import {errorMessage} from "../errors.js";
import type {SlashCommandSpec} from "./commands/command.js";
import {commandHelp} from "./commands/helpText.js";
import {COMMANDS, type ParsedCommand} from "./commands/index.js";

export {KEY_HELP} from "./keyHelp.js";

export type SlashCommand = ParsedCommand | {kind: "unknown", name: string} | {kind: "invalid", message: string};

export const SLASH_COMMAND_HELP: [string, string][] = commandHelp(COMMANDS as unknown as readonly SlashCommandSpec[]);

/** A prompt starting with / is a command; one starting with // is a message that starts with / (see messageText). */
export function isSlashCommand(input: string) {
    const text = input.trimStart();
    return text.startsWith("/") && !text.startsWith("//");
}

/** the text a prompt that is not a command sends: `//x` sends `/x` */
export function messageText(input: string) {
    return input.replace(/^(\s*)\/\//, "$1/");
}

const table = COMMANDS as unknown as readonly SlashCommandSpec[];

/** The command a typed line names (two-word names such as "/vector add" first), and the words after the name. */
function lookUp(trimmed: string): {spec: SlashCommandSpec, name: string, rest: string} | undefined {
    const match = /^(\S+)(?:\s+(\S+))?/.exec(trimmed)!;
    const first = match[1]!.toLowerCase();
    const two = match[2] != null ? `${first} ${match[2].toLowerCase()}` : undefined;
    for (const name of two != null ? [two, first] : [first]) {
        const spec = table.find((c) => c.names.includes(name));
        if (spec) return {spec, name, rest: trimmed.slice(name === two ? match[0].length : match[1]!.length).trim()};
    }
    return undefined;
}

export function parseSlashCommand(input: string): SlashCommand {
    const trimmed = input.trim();
    const found = lookUp(trimmed);
    if (found == null) return unknownOrGroupUsage(trimmed);
    try {
        return {kind: found.spec.kind, ...found.spec.parse(found.rest, found.name)} as SlashCommand;
    } catch (err) {
        return {kind: "invalid", message: errorMessage(err)};
    }
}

/** "/vector" alone or "/vector frob": the usage of the /vector commands; any other unknown word is unknown. */
function unknownOrGroupUsage(trimmed: string): SlashCommand {
    const [first = "", action] = trimmed.split(/\s+/);
    const name = first.toLowerCase();
    const group = table.filter((c) => c.names.some((n) => n.startsWith(`${name} `)));
    if (group.length === 0) return {kind: "unknown", name};
    const actions = group.flatMap((c) => c.names.filter((n) => n.startsWith(`${name} `)).map((n) => n.slice(name.length + 1)));
    const usage = `usage: ${group.map((c) => c.usage).join(" · ")}`;
    return {kind: "invalid", message: action == null ? usage : `unknown ${name} action "${action}": use ${actions.join(", ")} — ${usage}`};
}

/** The table's entry for a parsed command (undefined for unknown and invalid lines). */
export function specOf(command: SlashCommand): SlashCommandSpec | undefined {
    return table.find((c) => c.kind === command.kind);
}
