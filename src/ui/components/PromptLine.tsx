import React, {useState} from "react";
import {Box, Text} from "ink";
import TextInput from "ink-text-input";

/** The input line. It keeps its own text; while a reply is written it shows that instead of taking input. */
export function PromptLine({busy, onSubmit}: {busy: boolean, onSubmit: (text: string) => void}) {
    const [value, setValue] = useState("");
    if (busy) return <Text dimColor>… writing (Esc to stop)</Text>;
    return (
        <Box>
            <Text color="cyan" bold>{"› "}</Text>
            <TextInput value={value} onChange={setValue} placeholder="Type a message, /help for commands"
                onSubmit={(text) => { setValue(""); onSubmit(text); }} />
        </Box>
    );
}
