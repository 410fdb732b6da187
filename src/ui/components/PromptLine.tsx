import React, {useRef, useState} from "react";
import {Box, Text, useInput} from "ink";
import {EMPTY_LINE, editLine, type Line} from "../lineEditor.js";

export type PromptLineProps = {
    busy: boolean,
    focused: boolean,
    onSubmit: (text: string) => void
};

const PLACEHOLDER = "Type a message, /help for commands";

/** The input line. It keeps its own text; while a reply is written it shows that instead of taking input. */
export function PromptLine({busy, focused, onSubmit}: PromptLineProps) {
    // the ref is the line; the state only makes React render it (see lineEditor.ts for why)
    const lineRef = useRef<Line>(EMPTY_LINE);
    const [line, setLine] = useState<Line>(EMPTY_LINE);
    useInput((input, key) => {
        const {line: next, submitted} = editLine(lineRef.current, input, key);
        if (next !== lineRef.current) {
            lineRef.current = next;
            setLine(next);
        }
        if (submitted != null) onSubmit(submitted);
    }, {isActive: focused && !busy});

    if (busy) return <Text dimColor>… writing (Esc to stop)</Text>;
    return (
        <Box>
            <Text color={focused ? "cyan" : "gray"} bold>{"› "}</Text>
            {line.text === ""
                ? <Text>{focused ? <Text inverse>{PLACEHOLDER[0]}</Text> : PLACEHOLDER[0]}<Text dimColor>{PLACEHOLDER.slice(1)}</Text></Text>
                : <Text>
                    {line.text.slice(0, line.cursor)}
                    {focused ? <Text inverse>{line.text[line.cursor] ?? " "}</Text> : (line.text[line.cursor] ?? "")}
                    {line.text.slice(line.cursor + 1)}
                </Text>}
        </Box>
    );
}
