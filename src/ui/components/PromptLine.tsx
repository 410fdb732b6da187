import React, {useState, type MutableRefObject} from "react";
import {Box, Text} from "ink";
import TextInput from "ink-text-input";

export type PromptLineProps = {
    busy: boolean,
    focused: boolean,
    onSubmit: (text: string) => void,
    /** true while a Ctrl+key shortcut is being handled: its letter must not land in the prompt */
    shortcutRef: MutableRefObject<boolean>
};

/** The input line. It keeps its own text; while a reply is written it shows that instead of taking input. */
export function PromptLine({busy, focused, onSubmit, shortcutRef}: PromptLineProps) {
    const [value, setValue] = useState("");
    if (busy) return <Text dimColor>… writing (Esc to stop)</Text>;
    return (
        <Box>
            <Text color={focused ? "cyan" : "gray"} bold>{"› "}</Text>
            <TextInput value={value} focus={focused} placeholder="Type a message, /help for commands"
                // shortcuts are seen by every key handler of the same keypress; decide once they all ran
                onChange={(next) => queueMicrotask(() => { if (!shortcutRef.current) setValue(next); })}
                onSubmit={(text) => { setValue(""); onSubmit(text); }} />
        </Box>
    );
}
