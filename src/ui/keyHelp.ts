/** The keys /help and the help overlay list. */
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
