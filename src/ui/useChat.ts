/**
 * The chat's state and actions: messages, the reply being streamed, sending, stopping and slash commands.
 * Streamed text is batched (flushed on a short timer) so a fast model does not re-render the screen per token.
 */
import {useCallback, useEffect, useRef, useState} from "react";
import type {Conversation, Reply} from "../engine/conversation.js";
import {errorMessage} from "../engine/errors.js";
import {isSlashCommand, KEY_HELP, parseSlashCommand, SLASH_COMMAND_HELP} from "./slashCommands.js";
import type {ChatMessage} from "./types.js";

export const STREAM_FLUSH_MS = 50;

export type ChatState = {
    messages: ChatMessage[],
    streamingText: string,
    busy: boolean,
    lastReply: Reply | undefined,
    contextUsage: {used: number, size: number},
    submit(input: string): void,
    stop(): void
};

export function useChat(conversation: Conversation, {onExit}: {onExit: () => void}): ChatState {
    const [messages, setMessages] = useState<ChatMessage[]>([]);
    const [streamingText, setStreamingText] = useState("");
    const [busy, setBusy] = useState(false);
    const [lastReply, setLastReply] = useState<Reply>();
    const [contextUsage, setContextUsage] = useState(() => conversation.contextUsage());
    const nextId = useRef(0);
    const abortRef = useRef<AbortController | undefined>(undefined);
    const bufferRef = useRef("");
    const flushTimer = useRef<NodeJS.Timeout | undefined>(undefined);

    const addMessage = useCallback((message: Omit<ChatMessage, "id">) => {
        setMessages((list) => [...list, {...message, id: nextId.current++}]);
    }, []);

    const stopFlushing = () => {
        if (flushTimer.current) clearInterval(flushTimer.current);
        flushTimer.current = undefined;
    };
    useEffect(() => () => {
        stopFlushing();
        abortRef.current?.abort();
    }, []);

    const sendToModel = useCallback(async (text: string) => {
        const controller = new AbortController();
        abortRef.current = controller;
        bufferRef.current = "";
        setStreamingText("");
        setBusy(true);
        flushTimer.current = setInterval(() => setStreamingText(bufferRef.current), STREAM_FLUSH_MS);
        try {
            const reply = await conversation.send(text, {
                signal: controller.signal,
                onText: (chunk) => { bufferRef.current += chunk; }
            });
            const {text: replyText, ...stats} = reply;
            addMessage({role: "assistant", text: replyText, reply: stats});
            setLastReply(reply);
        } catch (err) {
            if (bufferRef.current !== "") addMessage({role: "assistant", text: bufferRef.current});
            addMessage({role: "error", text: errorMessage(err)});
        } finally {
            stopFlushing();
            abortRef.current = undefined;
            setStreamingText("");
            setBusy(false);
            setContextUsage(conversation.contextUsage());
        }
    }, [conversation, addMessage]);

    const runCommand = useCallback(async (input: string) => {
        const command = parseSlashCommand(input);
        switch (command.kind) {
            case "help":
                addMessage({role: "note", text: [
                    "Commands:", ...SLASH_COMMAND_HELP.map(([c, d]) => `  ${c.padEnd(18)}${d}`),
                    "Keys:", ...KEY_HELP.map(([k, d]) => `  ${k.padEnd(18)}${d}`)
                ].join("\n")});
                return;
            case "clear":
                await conversation.clear();
                setLastReply(undefined);
                setContextUsage(conversation.contextUsage());
                addMessage({role: "note", text: "Conversation cleared."});
                return;
            case "exit":
                onExit();
                return;
            case "system":
                conversation.setSystemPrompt(command.text);
                addMessage({role: "note", text: command.text === "" ? "System prompt cleared." : `System prompt set: ${command.text}`});
                return;
            case "unknown":
                addMessage({role: "error", text: `Unknown command ${command.name} — /help lists the commands`});
                return;
            case "invalid":
                addMessage({role: "error", text: command.message});
                return;
        }
    }, [conversation, addMessage, onExit]);

    const submit = useCallback((input: string) => {
        if (busy || input.trim() === "") return;
        if (isSlashCommand(input)) {
            void runCommand(input).catch((err) => addMessage({role: "error", text: errorMessage(err)}));
            return;
        }
        addMessage({role: "user", text: input});
        void sendToModel(input);
    }, [busy, runCommand, sendToModel, addMessage]);

    const stop = useCallback(() => abortRef.current?.abort(), []);

    return {messages, streamingText, busy, lastReply, contextUsage, submit, stop};
}
