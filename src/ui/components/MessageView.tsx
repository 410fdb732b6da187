import React from "react";
import {Box, Text} from "ink";
import type {ChatMessage} from "../../session/types.js";
import {perplexity} from "../../session/transcript.js";

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
            const ppl = perplexity(message.reply?.meanLogProb);
            const details = [note, ppl != null ? `ppl ${ppl.toFixed(2)}` : undefined].filter((d) => d != null);
            return (
                <Box flexDirection="column">
                    {message.shownText !== "" && <Text>{message.shownText ?? message.text}</Text>}
                    {details.length > 0 && <Text dimColor>[{details.join(" · ")}]</Text>}
                </Box>
            );
        }
        case "stream":
            return <Text>{message.text}</Text>;
        case "note":
            return <Text dimColor>{message.text}</Text>;
        case "error":
            return <Text color="red">{message.text}</Text>;
    }
}
