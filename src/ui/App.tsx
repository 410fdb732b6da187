/**
 * The chat screen. Finished messages go to Ink's <Static> (printed once, never re-rendered, so long chats stay
 * fast and stay in the terminal's scrollback); only the reply being written, the prompt and the status re-render.
 */
import React from "react";
import {Box, Static, Text, useApp, useInput} from "ink";
import type {Conversation} from "../engine/conversation.js";
import {MessageView} from "./components/MessageView.js";
import {PromptLine} from "./components/PromptLine.js";
import {StatusBar} from "./components/StatusBar.js";
import {useChat} from "./useChat.js";

export type AppProps = {
    conversation: Conversation,
    modelName: string,
    /** lines shown once above the conversation (e.g. warnings from start-up) */
    banner?: string[]
};

export function App({conversation, modelName, banner = []}: AppProps) {
    const {exit} = useApp();
    const chat = useChat(conversation, {onExit: exit});

    useInput((input, key) => {
        const ctrlC = key.ctrl && input === "c";
        if (chat.busy && (key.escape || ctrlC)) chat.stop();
        else if (!chat.busy && ctrlC) exit();
    });

    return (
        <Box flexDirection="column">
            <Static items={[{id: -1, banner: true} as const, ...chat.messages]}>
                {(item) => "banner" in item
                    ? <Box key="banner" flexDirection="column">
                        <Text bold>steer-chat · {modelName}</Text>
                        {banner.map((line, i) => <Text key={i} color="yellow">{line}</Text>)}
                    </Box>
                    : <MessageView key={item.id} message={item} />}
            </Static>
            {chat.busy && <Text>{chat.streamingText}</Text>}
            <Box marginTop={chat.busy ? 0 : 1}>
                <PromptLine busy={chat.busy} onSubmit={chat.submit} />
            </Box>
            <StatusBar modelName={modelName} mode={conversation.mode} contextUsage={chat.contextUsage}
                tokensPerSecond={chat.lastReply?.tokensPerSecond} busy={chat.busy} />
        </Box>
    );
}
