import wrapAnsi from "wrap-ansi";
import {displayWidth} from "../graphemes.js";
import {KEY_HELP} from "../keyHelp.js";
import type {SlashCommandSpec} from "./command.js";

/** /help's rows: each command's usage and what it does, in the table's order. */
export function commandHelp(commands: readonly SlashCommandSpec[]): [string, string][] {
    return commands.map((c) => [c.usage, c.help]);
}

/** the left column's width: wide enough for most names, never more than a third of the line */
const NAME_COLUMN = 26;

/** words of `text` in lines of at most `width` columns, by display width (a longer word is cut where it fills one) */
function wrapWords(text: string, width: number): string[] {
    return wrapAnsi(text.split(/\s+/).filter((w) => w !== "").join(" "), width, {hard: true, trim: true}).split("\n");
}

/** the name column for rows shown in `width` columns (two lists sharing it line up) */
export function nameColumn(rows: readonly (readonly [string, string])[], width: number, indent = ""): number {
    return Math.min(NAME_COLUMN, Math.max(...rows.map(([name]) => displayWidth(name))) + 2, Math.floor((width - indent.length) / 3));
}

/**
 * Name/description rows as two columns for `width` columns: a name too long for its column has the row to itself
 * and its description starts on the next line; descriptions wrap under their column.
 */
export function helpColumns(rows: readonly (readonly [string, string])[], width: number, indent = "", column = nameColumn(rows, width, indent)): string[] {
    return helpColumnParts(rows, width, indent, column).map(([name, text]) => name + text);
}

/** helpColumns' lines as [the name part (padded), the description part], for drawing the names in their own colour */
export function helpColumnParts(rows: readonly (readonly [string, string])[], width: number, indent = "", column = nameColumn(rows, width, indent)): [string, string][] {
    const room = Math.max(10, width - indent.length - column);
    const pad = indent + " ".repeat(column);
    return rows.flatMap(([name, description]): [string, string][] => {
        const text = wrapWords(description, room);
        const rest = text.map((t): [string, string] => [pad, t]);
        const nameColumns = displayWidth(name);
        if (nameColumns + 1 >= column) return [[indent + name, ""], ...rest];
        return [[indent + name + " ".repeat(column - nameColumns), text[0]!], ...rest.slice(1)];
    });
}

export function helpText(commands: readonly SlashCommandSpec[], width = 100): string {
    const rows = commandHelp(commands);
    const column = nameColumn([...rows, ...KEY_HELP], width, "  ");
    return ["Commands:", ...helpColumns(rows, width, "  ", column), "Keys:", ...helpColumns(KEY_HELP, width, "  ", column)].join("\n");
}
