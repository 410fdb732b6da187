/**
 * The chat wrapper for a model. node-llama-cpp checks the model's Jinja chat template when a chat session is made;
 * when the check fails it falls back to another wrapper but prints the error with a stack trace on stderr. This
 * resolves the wrapper the same way, turning that failure into one line the caller shows.
 */
import {GeneralChatWrapper, resolveChatWrapper, type ChatWrapper, type LlamaModel} from "node-llama-cpp";
import {displayText} from "../displayText.js";
import {ChatTemplate, checkContexts} from "./chatPrompt.js";
import {probeTemplate} from "./templateProbe.js";

export function chatWrapperFor(model: LlamaModel, {runaway}: {runaway?: string} = {}): {wrapper: ChatWrapper, warning?: string} {
    if (runaway != null) {
        // node-llama-cpp renders the template even with noJinja (to compare it with its dedicated wrappers): it is
        // given the model's file info without it
        const {metadata} = model.fileInfo;
        const wrapper = resolveChatWrapper({
            bosString: model.tokens.bosString, filename: model.filename, tokenizer: model.tokenizer, noJinja: true, warningLogs: false,
            fileInfo: {...model.fileInfo, metadata: {...metadata, tokenizer: {...metadata.tokenizer, chat_template: undefined}}}
        } as Parameters<typeof resolveChatWrapper>[0]) ?? new GeneralChatWrapper();
        return {wrapper, warning: `The model's chat template is not used: ${runaway}; chatting in node-llama-cpp's ${wrapper.wrapperName} format instead`};
    }
    try {
        const wrapper = resolveChatWrapper(model, {fallbackToOtherWrappersOnJinjaError: false, warningLogs: false});
        // no template at all: likely a base model, which a chat format only confuses
        const source = model.fileInfo.metadata?.tokenizer?.chat_template;
        if (typeof source !== "string" || source === "")
            return {wrapper, warning: `The model has no chat template (a base model?): chatting through node-llama-cpp's generic ${wrapper.wrapperName} ` +
                "format; --raw continues text as it is, which suits a base model"};
        return {wrapper};
    } catch (err) {
        const wrapper = resolveChatWrapper(model, {noJinja: true, warningLogs: false});
        const reason = displayText((err instanceof Error ? err.message : String(err)).split("\n")[0]!, 160);
        return {wrapper, warning: `The model's chat template does not work (${reason}); chatting in node-llama-cpp's ${wrapper.wrapperName} format instead`};
    }
}

/**
 * The model's Jinja `tokenizer.chat_template`, to build prompts as llama.cpp's chat does (chatPrompt.ts); undefined
 * when the model has none, or it does not parse or render (chat then goes through node-llama-cpp's wrappers, which
 * say why). It wins over node-llama-cpp's dedicated wrappers (Llama 3, ChatML, Gemma, …): llama.cpp renders the
 * template, so the template is what parity means, and a dedicated wrapper adds a default system prompt llama.cpp
 * does not add.
 */
export function jinjaChatTemplateFor(model: LlamaModel): {template?: ChatTemplate, runaway?: string} {
    const source = model.fileInfo.metadata?.tokenizer?.chat_template;
    if (typeof source !== "string" || source === "") return {};
    const vocabulary = {bosText: model.tokens.bosString ?? "", eosText: model.tokens.eosString ?? "", addBos: model.tokens.shouldPrependBosToken};
    // rendered first in a bounded worker: a runaway template must not take the main thread (and node-llama-cpp's
    // own check would render it there too, so the fallback then skips the template altogether)
    const probe = probeTemplate(source, checkContexts(vocabulary));
    if (probe.kind === "runaway") return {runaway: probe.problem};
    try {
        return {template: new ChatTemplate(source, vocabulary)};
    } catch {
        return {};
    }
}
