import React from "react";
import {Box, Text} from "ink";
import {displayLines} from "../../displayText.js";
import {shownText, type ChatMessage} from "../chatMessage.js";
import {perplexity} from "../../session/transcript.js";
import {renderMarkdown} from "../markdown.js";
import {promptEcho} from "../promptLayout.js";

const STOP_NOTES: Record<string, string> = {
    aborted: "stopped",
    maxTokens: "hit --max-tokens",
    contextFull: "context full"
};

export type MessageViewProps = {
    message: ChatMessage,
    /** chat mode: replies are drawn as Markdown (raw mode's continuations stay the plain text they are) */
    markdown?: boolean,
    /** the terminal's columns, for wrapping Markdown */
    columns?: number
};

/**
 * A reply's text as shown: Markdown in chat mode, as it is in raw mode; escaped either way (a model's token may hold
 * an escape sequence that would clear the screen or retitle the terminal).
 */
export function ReplyText({text, markdown, columns, openFence}: {text: string, markdown: boolean, columns: number, openFence?: string}) {
    const shown = displayLines(text);
    return <Text>{markdown ? renderMarkdown(shown, {width: columns, openFence}) : shown}</Text>;
}

/** One finished message of the conversation. */
export function MessageView({message, markdown = false, columns = 100}: MessageViewProps) {
    switch (message.role) {
        case "user":
            return <Box marginTop={1}><Text color="cyan" bold>{"› "}</Text><Text>{displayLines(promptEcho(message.text))}</Text></Box>;
        case "assistant": {
            const {stats, outcome} = message.reply;
            const note = outcome === "failed" ? "failed" : stats ? STOP_NOTES[stats.stopReason] : undefined;
            const ppl = perplexity(stats?.meanLogProb);
            const details = [note, ppl != null ? `ppl ${ppl.toFixed(2)}` : undefined].filter((d) => d != null);
            const rest = shownText(message);
            // with its first lines shown as they came, the message shows the rest (nothing, when none is left)
            return (
                <Box flexDirection="column">
                    {(message.shownFrom == null || rest !== "") && <ReplyText text={rest} markdown={markdown} columns={columns}
                        openFence={message.shownFrom != null ? message.openFence : undefined} />}
                    {details.length > 0 && <Text dimColor>[{details.join(" · ")}]</Text>}
                </Box>
            );
        }
        case "stream":
            return <ReplyText text={shownText(message)} markdown={markdown} columns={columns} openFence={message.openFence} />;
        // notes and errors may quote a file, a name or a reply: escaped like everything shown
        case "note":
            return <Text dimColor>{displayLines(message.text)}</Text>;
        case "error":
            return <Text color="red">{displayLines(message.text)}</Text>;
    }
}
