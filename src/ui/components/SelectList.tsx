import React, {useState} from "react";
import {Box, Text, useInput} from "ink";
import {displayText} from "../../displayText.js";

export type SelectItem<T> = {label: string, value: T, hint?: string};

/** A vertical pick list: ↑/↓ to move, Enter to choose, Esc to cancel. Labels and hints (names from files) are escaped. */
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
                    {i === index ? "❯ " : "  "}{displayText(item.label)}{item.hint ? <Text dimColor>  {displayText(item.hint, 400)}</Text> : null}
                </Text>
            ))}
        </Box>
    );
}
