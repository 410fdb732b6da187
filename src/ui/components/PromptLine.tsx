import React, {useRef, useState} from "react";
import {Box, Text} from "ink";
import {EMPTY_LINE, editLine, insertableText, lineOf, moveVertical, type Line} from "../lineEditor.js";
import {layoutPrompt} from "../promptLayout.js";
import type {PromptHistory} from "../promptHistory.js";
import {useColumns} from "../useColumns.js";
import {useRoutedInput} from "../useKeyRouter.js";
import {RowText} from "./LineText.js";

export type PromptLineProps = {
    focused: boolean,
    /** whether keys are the prompt's, when that is not `focused` (the chat's focus, kept current between renders) */
    takesKeys?: () => boolean,
    /** a reply or a job is running: typing goes on (the chat queues what is sent), Ctrl+C is the app's (it stops it) */
    busy: boolean,
    onSubmit: (text: string) => void,
    /** Ctrl+C on an empty prompt */
    onQuit?: () => void,
    history?: PromptHistory,
    /** told when the line becomes empty or stops being empty */
    onEmptyChange?: (empty: boolean) => void
};

const PLACEHOLDER = "Type a message, /help for commands";
const PREFIX = "› ";
/** rows of a long prompt shown at once (the rest scrolls with the cursor) */
export const PROMPT_MAX_ROWS = 8;

/**
 * The input line. It keeps its own text (see lineEditor.ts for why a ref); it stays editable while a reply is
 * written. ↑/↓ move between the lines of a multi-line prompt, then through the prompt history; Ctrl+C clears a
 * half-typed prompt, and on an empty one quits.
 */
export function PromptLine({focused, takesKeys, busy, onSubmit, onQuit, history, onEmptyChange}: PromptLineProps) {
    const lineRef = useRef<Line>(EMPTY_LINE);
    const [line, setLine] = useState<Line>(EMPTY_LINE);
    const columns = useColumns();
    const show = (next: Line) => {
        if (next === lineRef.current) return;
        if ((next.text === "") !== (lineRef.current.text === "")) onEmptyChange?.(next.text === "");
        lineRef.current = next;
        setLine(next);
    };
    useRoutedInput((input, key) => {
        const current = lineRef.current;
        if (key.ctrl && input === "c") {
            if (busy) return; // the app stops the reply; the line stays
            if (current.text === "") onQuit?.();
            history?.reset();
            show(EMPTY_LINE);
            return;
        }
        if (key.upArrow || key.downArrow) {
            const moved = moveVertical(current, key.upArrow ? -1 : 1);
            const recalled = moved == null ? (key.upArrow ? history?.previous(current.text) : history?.next()) : undefined;
            if (moved != null) show(moved);
            else if (recalled != null) show(lineOf(insertableText(recalled, true))); // from the history file: no control bytes
            return;
        }
        const {line: next, submitted} = editLine(current, input, key, {multiline: true});
        show(next);
        if (submitted != null) {
            history?.add(submitted);
            onSubmit(submitted);
        }
    }, takesKeys ?? focused);

    const prefix = <Text color={focused ? "cyan" : "gray"} bold>{PREFIX}</Text>;
    if (line.text === "") {
        return (
            <Box>
                {prefix}
                <Text>{focused ? <Text inverse>{PLACEHOLDER[0]}</Text> : PLACEHOLDER[0]}<Text dimColor>{PLACEHOLDER.slice(1)}</Text></Text>
            </Box>
        );
    }
    const {rows, hiddenAbove, hiddenBelow} = layoutPrompt(line, columns - PREFIX.length, PROMPT_MAX_ROWS);
    return (
        <Box flexDirection="column">
            {hiddenAbove > 0 && <Text dimColor>{"  "}… {hiddenAbove} more {hiddenAbove === 1 ? "row" : "rows"} above</Text>}
            {rows.map((row, i) => (
                <Box key={i}>
                    {i === 0 ? prefix : <Text>{" ".repeat(PREFIX.length)}</Text>}
                    <RowText row={row} showCursor={focused} />
                </Box>
            ))}
            {hiddenBelow > 0 && <Text dimColor>{"  "}… {hiddenBelow} more {hiddenBelow === 1 ? "row" : "rows"} below</Text>}
        </Box>
    );
}
