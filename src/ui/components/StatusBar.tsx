import React from "react";
import {Box, Text} from "ink";

export type StatusBarProps = {
    modelName: string,
    mode: "chat" | "raw",
    contextUsage: {used: number, size: number},
    tokensPerSecond: number | undefined,
    busy: boolean
};

/** The bottom line: model, mode, context use and the speed of the last reply. */
export function StatusBar({modelName, mode, contextUsage, tokensPerSecond, busy}: StatusBarProps) {
    const percent = contextUsage.size > 0 ? Math.round((contextUsage.used / contextUsage.size) * 100) : 0;
    return (
        <Box>
            <Text dimColor wrap="truncate-end">
                {modelName} · {mode} · ctx {contextUsage.used}/{contextUsage.size} ({percent}%)
                {tokensPerSecond != null && tokensPerSecond > 0 ? ` · ${tokensPerSecond.toFixed(1)} tok/s` : ""}
                {busy ? " · Esc to stop" : " · /help"}
            </Text>
        </Box>
    );
}
