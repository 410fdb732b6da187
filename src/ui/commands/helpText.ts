import {KEY_HELP} from "../keyHelp.js";
import type {SlashCommandSpec} from "./command.js";

/** /help's rows: each command's usage and what it does, in the table's order. */
export function commandHelp(commands: readonly SlashCommandSpec[]): [string, string][] {
    return commands.map((c) => [c.usage, c.help]);
}

export function helpText(commands: readonly SlashCommandSpec[]): string {
    return ["Commands:", ...commandHelp(commands).map(([c, d]) => `  ${c.padEnd(24)}${d}`),
        "Keys:", ...KEY_HELP.map(([k, d]) => `  ${k.padEnd(24)}${d}`)].join("\n");
}
