/**
 * The chat's transcript as the screen shows it (as Gemini CLI's useHistoryManager): messages in order, each with an
 * id for Ink's <Static>, added, marked or updated in place. A ref mirrors the state so callbacks read the latest.
 */
import {useCallback, useMemo, useRef, useState} from "react";
import type {ChatMessage} from "../session/types.js";

export type Transcript = {
    messages: ChatMessage[],
    /** the messages now (not the last render's) */
    current(): readonly ChatMessage[],
    /** adds a message; returns its id */
    add(message: Omit<ChatMessage, "id">): number,
    note(text: string, role?: "note" | "error"): void,
    update(id: number, change: (message: ChatMessage) => ChatMessage): void,
    /** /regen and /compare answer the last prompt again: the reply they replace stays on screen and in /save, marked */
    markLastReplyReplaced(): void
};

export function useTranscript(): Transcript {
    const [messages, setMessages] = useState<ChatMessage[]>([]);
    const ref = useRef<ChatMessage[]>([]);
    const nextId = useRef(0);
    const replace = useCallback((next: ChatMessage[]) => {
        ref.current = next;
        setMessages(next);
    }, []);
    const add = useCallback((message: Omit<ChatMessage, "id">) => {
        const id = nextId.current++;
        replace([...ref.current, {...message, id}]);
        return id;
    }, [replace]);
    const update = useCallback((id: number, change: (m: ChatMessage) => ChatMessage) =>
        replace(ref.current.map((m) => (m.id === id ? change(m) : m))), [replace]);
    const stable = useMemo(() => ({
        current: () => ref.current,
        add,
        update,
        note: (text: string, role: "note" | "error" = "note") => { add({role, text}); },
        markLastReplyReplaced: () => {
            const last = [...ref.current].reverse().find((m) => m.role === "assistant");
            if (last) update(last.id, (m) => ({...m, replaced: true}));
        }
    }), [add, update]);
    return {messages, ...stable};
}
