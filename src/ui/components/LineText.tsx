import React from "react";
import {Text} from "ink";
import {graphemeAt} from "../graphemes.js";
import type {PromptRow} from "../promptLayout.js";

/**
 * One row of edited text with the cursor drawn in inverse video over the whole grapheme under it (two columns for
 * a CJK character or an emoji), or over a blank cell after the text.
 */
export function RowText({row, showCursor}: {row: PromptRow, showCursor: boolean}) {
    if (row.cursor == null || !showCursor) return <Text>{row.text}</Text>;
    const under = graphemeAt(row.text, row.cursor);
    return (
        <Text>
            {row.text.slice(0, row.cursor)}
            <Text inverse>{under === "" ? " " : under}</Text>
            {row.text.slice(row.cursor + under.length)}
        </Text>
    );
}
