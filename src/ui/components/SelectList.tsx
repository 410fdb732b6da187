import React, {useRef, useState} from "react";
import {Box, Text} from "ink";
import {displayText} from "../../displayText.js";
import {LIST_START, listKey, type ListState} from "../listKeys.js";
import {useOverlayInput} from "../useKeyRouter.js";

export type SelectItem<T> = {label: string, value: T, hint?: string};

/**
 * A vertical pick list: ↑/↓ to move, Enter to choose, Esc to cancel. It keeps its position in a ref and applies each
 * key to it at once (listKeys.ts), so keys that arrive in one burst are applied one after another. Labels and hints
 * (names from files) are escaped. In the chat its keys come from the App's router (an overlay's, the keys sent with
 * the one that opened it first); at start-up, from Ink.
 */
export function SelectList<T>({items, onSelect, onCancel}: {items: SelectItem<T>[], onSelect: (value: T) => void, onCancel?: () => void}) {
    const listRef = useRef<ListState>(LIST_START);
    const [list, setList] = useState(LIST_START);
    useOverlayInput((input, key) => {
        const {state, outcome} = listKey(listRef.current, items.length, input, key);
        if (outcome === "cancel" && onCancel == null) return; // a list that cannot be cancelled stays
        listRef.current = state;
        setList(state);
        if (outcome === "choose") onSelect(items[state.index]!.value);
        else if (outcome === "cancel") onCancel!();
    });
    const index = Math.min(list.index, items.length - 1);
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
