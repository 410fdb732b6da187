/**
 * Slash commands typed at the prompt. Parsing is pure (no Ink, no model) so it is tested on its own;
 * the chat hook carries out the parsed command.
 */
export type SlashCommand =
    | {kind: "help"}
    | {kind: "clear"}
    | {kind: "exit"}
    | {kind: "system", text: string}
    | {kind: "unknown", name: string}
    | {kind: "invalid", message: string};

export const SLASH_COMMAND_HELP: [string, string][] = [
    ["/help", "this list"],
    ["/clear", "forget the conversation (keeps the system prompt)"],
    ["/system <text>", "set the system prompt (empty text clears it)"],
    ["/exit", "quit (also Ctrl+C on an empty prompt)"]
];

export const KEY_HELP: [string, string][] = [
    ["Enter", "send"],
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
        case "/exit": case "/quit": return {kind: "exit"};
        case "/system": return {kind: "system", text: rest};
        default: return {kind: "unknown", name};
    }
}
