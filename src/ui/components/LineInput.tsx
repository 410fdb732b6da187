import React, {useRef, useState} from "react";
import {Box, useInput} from "ink";
import {editLine, lineOf, type Line} from "../lineEditor.js";
import {layoutPrompt} from "../promptLayout.js";
import {RowText} from "./LineText.js";
import {useColumns} from "../useColumns.js";

export type LineInputProps = {
    value: string,
    onChange: (value: string) => void,
    onSubmit: (value: string) => void,
    focus?: boolean,
    /** columns taken left of the field (a label), so a long value wraps inside the screen */
    indent?: number
};

/**
 * A one-line text field for dialogs, with the prompt's editing (graphemes, Delete, Ctrl+W…): Enter submits, a
 * pasted line break becomes a space. It takes the place of ink-text-input, which put a CR that came with text
 * (tmux send-keys, ssh) into the value and edited the value it last rendered.
 */
export function LineInput({value, onChange, onSubmit, focus = true, indent = 0}: LineInputProps) {
    const lineRef = useRef<Line>(lineOf(value));
    const [line, setLine] = useState(lineRef.current);
    const columns = useColumns();
    // a value changed from outside (not by a key here) starts over with the cursor at its end
    if (value !== lineRef.current.text) {
        lineRef.current = lineOf(value);
        setLine(lineRef.current);
    }
    useInput((input, key) => {
        const current = lineRef.current;
        const {line: next, submitted} = editLine(current, input, key);
        if (submitted != null) {
            onSubmit(submitted);
            return;
        }
        if (next === current) return;
        lineRef.current = next;
        setLine(next);
        if (next.text !== current.text) onChange(next.text);
    }, {isActive: focus});
    return <LineView line={line} indent={indent} showCursor={focus} columns={columns} />;
}

/** A dialog's text field as it is drawn, for a dialog that keeps the line itself (dialogKeys.ts), wrapped to the screen. */
export function LineView({line, indent = 0, showCursor = true, columns}:
    {line: Line, indent?: number, showCursor?: boolean, columns?: number}) {
    const screen = useColumns();
    const {rows} = layoutPrompt(line, Math.max(2, (columns ?? screen) - indent));
    return (
        <Box flexDirection="column">
            {rows.map((row, i) => <RowText key={i} row={row} showCursor={showCursor} />)}
        </Box>
    );
}
