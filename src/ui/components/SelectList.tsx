import React, {useState} from "react";
import {Box, Text, useInput} from "ink";

export type SelectItem<T> = {label: string, value: T, hint?: string};

/** A vertical pick list: ↑/↓ to move, Enter to choose, Esc to cancel. */
export function SelectList<T>({items, onSelect, onCancel}: {items: SelectItem<T>[], onSelect: (value: T) => void, onCancel?: () => void}) {
    const [index, setIndex] = useState(0);
    useInput((input, key) => {
        if (key.upArrow) setIndex((i) => (i - 1 + items.length) % items.length);
        else if (key.downArrow) setIndex((i) => (i + 1) % items.length);
        else if (key.return && items[index]) onSelect(items[index]!.value);
        else if (key.escape || (key.ctrl && input === "c")) onCancel?.();
    });
    return (
        <Box flexDirection="column">
            {items.map((item, i) => (
                <Text key={i} color={i === index ? "cyan" : undefined}>
                    {i === index ? "❯ " : "  "}{item.label}{item.hint ? <Text dimColor>  {item.hint}</Text> : null}
                </Text>
            ))}
        </Box>
    );
}
