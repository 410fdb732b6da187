/**
 * The chat wrapper for a model. node-llama-cpp checks the model's Jinja chat template when a chat session is made;
 * when the check fails it falls back to another wrapper but prints the error with a stack trace on stderr. This
 * resolves the wrapper the same way, turning that failure into one line the caller shows.
 */
import {resolveChatWrapper, type ChatWrapper, type LlamaModel} from "node-llama-cpp";
import {displayText} from "../displayText.js";

export function chatWrapperFor(model: LlamaModel): {wrapper: ChatWrapper, warning?: string} {
    try {
        return {wrapper: resolveChatWrapper(model, {fallbackToOtherWrappersOnJinjaError: false, warningLogs: false})};
    } catch (err) {
        const wrapper = resolveChatWrapper(model, {noJinja: true, warningLogs: false});
        const reason = displayText((err instanceof Error ? err.message : String(err)).split("\n")[0]!, 160);
        return {wrapper, warning: `The model's chat template does not work (${reason}); chatting in node-llama-cpp's ${wrapper.wrapperName} format instead`};
    }
}
