import React from "react";
import {Box, Text} from "ink";
import type {ChatMessage} from "../types.js";

const STOP_NOTES: Record<string, string> = {
    aborted: "stopped",
    maxTokens: "hit --max-tokens",
    contextFull: "context full"
};

/** One finished message of the conversation. */
export function MessageView({message}: {message: ChatMessage}) {
    switch (message.role) {
        case "user":
            return <Box marginTop={1}><Text color="cyan" bold>{"› "}</Text><Text>{message.text}</Text></Box>;
        case "assistant": {
            const note = message.reply ? STOP_NOTES[message.reply.stopReason] : undefined;
            return (
                <Box flexDirection="column">
                    <Text>{message.text}</Text>
                    {note != null && <Text dimColor>[{note}]</Text>}
                </Box>
            );
        }
        case "note":
            return <Text dimColor>{message.text}</Text>;
        case "error":
            return <Text color="red">{message.text}</Text>;
    }
}
