/**
 * The chat's screen transcript (as Gemini CLI's useHistoryManager): messages in order, each with an id for Ink's
 * <Static>, only ever added. What a reply was and how it was made is the session's (session.transcript); this holds
 * what was shown, referring to it. A ref mirrors the state so callbacks read the latest.
 */
import {useCallback, useMemo, useRef, useState} from "react";
import type {ChatMessage, NewMessage} from "./chatMessage.js";

export type Transcript = {
    messages: ChatMessage[],
    /** adds a message; returns its id */
    add(message: NewMessage): number,
    note(text: string, role?: "note" | "error"): void
};

export function useTranscript(): Transcript {
    const [messages, setMessages] = useState<ChatMessage[]>([]);
    const ref = useRef<ChatMessage[]>([]);
    const nextId = useRef(0);
    const add = useCallback((message: NewMessage) => {
        const id = nextId.current++;
        ref.current = [...ref.current, {...message, id} as ChatMessage];
        setMessages(ref.current);
        return id;
    }, []);
    const stable = useMemo(() => ({
        add,
        note: (text: string, role: "note" | "error" = "note") => { add({role, text}); }
    }), [add]);
    return {messages, ...stable};
}
