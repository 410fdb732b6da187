/**
 * A conversation with the loaded model: chat mode or raw mode (plain text continuation for base models). Chat mode
 * with a Jinja `tokenizer.chat_template` builds its prompt as llama.cpp's chat does (chatPrompt.ts); a model without
 * one (or whose template does not render) chats through node-llama-cpp's chat wrappers. Both stream text, stop on an AbortSignal keeping
 * what was written, and call a `beforeTurn` hook first, which is where staged steering changes get applied.
 *
 * The history is evaluated once and kept in the KV cache; each turn evaluates only what is new. A long stretch to
 * evaluate (a cold cache, or the history again after a steering change under the `reeval` policy) goes in full
 * batches with progress, and the signal stops it between batches.
 */
import type {LoadedModel} from "./runtime.js";
import {jinjaChatTemplateFor} from "./chatTemplate.js";
import type {Conversation, ConversationOptions} from "./conversationTypes.js";
import {DEFAULT_SAMPLING} from "./sampling.js";
import {rawFormat, templateFormat, TurnConversation} from "./turnConversation.js";
import {ChatConversation} from "./wrapperConversation.js";

export * from "./conversationTypes.js";
export {HISTORY_POLICIES, type HistoryPolicy} from "./historyCache.js";

export function createConversation(loaded: LoadedModel, options: ConversationOptions): Conversation {
    const sequence = loaded.context.getSequence();
    const sampling = {...DEFAULT_SAMPLING, ...stripUndefined(options.sampling ?? {})};
    if (options.mode === "raw") return new TurnConversation(sequence, sampling, options, rawFormat(sequence.model));
    const {template, runaway} = jinjaChatTemplateFor(sequence.model);
    return template != null
        ? new TurnConversation(sequence, sampling, options, templateFormat(template, sequence.model))
        : new ChatConversation(sequence, sampling, options, runaway);
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
    return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
