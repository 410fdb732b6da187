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

const SHORTCUT_LETTERS = new Set(["s", "p"]);

/** The text a change inserted (empty for deletions and cursor moves). */
function insertedText(before: string, after: string) {
    if (after.length <= before.length) return "";
    let start = 0;
    while (start < before.length && before[start] === after[start]) start++;
    return after.slice(start, start + after.length - before.length);
}

/** The input line. It keeps its own text; while a reply is written it shows that instead of taking input. */
export function PromptLine({busy, focused, onSubmit, shortcutRef}: PromptLineProps) {
    const [value, setValue] = useState("");
    if (busy) return <Text dimColor>… writing (Esc to stop)</Text>;
    return (
        <Box>
            <Text color={focused ? "cyan" : "gray"} bold>{"› "}</Text>
            <TextInput value={value} focus={focused} placeholder="Type a message, /help for commands"
                onChange={(next) => {
                    // Ctrl+S / Ctrl+P reach ink-text-input as a plain "s" / "p"; whether it was a shortcut is known only
                    // once every key handler of the keypress has run, so just those letters wait for that verdict.
                    // Everything else is taken at once: ink-text-input edits the value it last rendered, so a delay
                    // would drop keys typed quickly.
                    if (!SHORTCUT_LETTERS.has(insertedText(value, next))) setValue(next);
                    else queueMicrotask(() => { if (!shortcutRef.current) setValue(next); });
                }}
                onSubmit={(text) => { setValue(""); onSubmit(text); }} />
        </Box>
    );
}
