import type {Reply} from "../engine/conversation.js";

/** The steering a reply was made with, as plain data (for display and saved transcripts). */
export type SteeringRecord = {name: string, source: string, coefficient: number, enabled: boolean, layers?: [number, number]}[];

export type ChatMessage = {
    id: number,
    role: "user" | "assistant" | "note" | "error",
    text: string,
    /** for assistant messages: how the reply ended and how fast it was written */
    reply?: Omit<Reply, "text" | "tokens">,
    /** for assistant messages: the steering it was made with */
    steering?: SteeringRecord
};
