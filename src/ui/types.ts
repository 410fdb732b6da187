import type {Reply} from "../engine/conversation.js";

export type ChatMessage = {
    id: number,
    role: "user" | "assistant" | "note" | "error",
    text: string,
    /** for assistant messages: how the reply ended and how fast it was written */
    reply?: Omit<Reply, "text">
};
