/**
 * A pick list's keys (SelectList: the vector and preset pickers, the start-up model list) as a pure function of
 * (list, key), as the prompt's editor is (lineEditor.ts). The list applies each key to the latest position at once,
 * so ↓ Enter that arrive in one burst (tmux send-keys, ssh, a quick typist) choose the row ↓ moved to; a handler that
 * read the position of its last render chose the row before it.
 */
import type {Key} from "ink";

/** the highlighted row; `done` once a row is chosen or the list cancelled (it takes no more keys) */
export type ListState = {index: number, done: boolean};

export const LIST_START: ListState = {index: 0, done: false};

/** what a key does besides moving: choose the highlighted row, or cancel the list */
export type ListOutcome = "choose" | "cancel";

export type ListKeyResult = {state: ListState, outcome?: ListOutcome};

/** ↑/↓ move (wrapping around), Enter chooses, Esc or Ctrl+C cancels; `rows` is how many rows the list has */
export function listKey(list: ListState, rows: number, input: string, key: Partial<Key>): ListKeyResult {
    if (list.done) return {state: list};
    const index = rows === 0 ? 0 : Math.max(0, Math.min(rows - 1, list.index));
    if (key.escape || (key.ctrl && input === "c")) return {state: {index, done: true}, outcome: "cancel"};
    if (rows === 0) return {state: list};
    if (key.upArrow) return {state: {index: (index - 1 + rows) % rows, done: false}};
    if (key.downArrow) return {state: {index: (index + 1) % rows, done: false}};
    if (key.return) return {state: {index, done: true}, outcome: "choose"};
    return {state: list};
}
