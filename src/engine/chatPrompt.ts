/**
 * Chat prompts built as llama.cpp's own chat builds them (`llama-completion -cnv --jinja`, common/chat.cpp and
 * tools/completion/completion.cpp of the llama.cpp node-llama-cpp bundles), for models with a Jinja
 * `tokenizer.chat_template`:
 *
 * - The conversation is rendered with the model's template (messages `{role, content}`, `bos_token`, `eos_token`,
 *   `add_generation_prompt`, `enable_thinking`, `datetime`, `date_string`), and tokenized in one piece with special
 *   tokens parsed. When the vocabulary adds BOS, a BOS the template rendered at the start is dropped and BOS is
 *   added, once.
 * - No system message unless one is given; an empty one is left out. A template that ignores the system message
 *   gets it merged into the first user message (content + "\n" + content), as llama.cpp does.
 * - The first turn is the whole rendering with the generation prompt. A later turn appends only what the template
 *   adds for the new user message (common_chat_format_single: the rendering with it and the generation prompt,
 *   minus the rendering before it), tokenized without BOS, after the reply's tokens as they were sampled, the
 *   end-of-generation token included; a reply stopped by the user is closed with the end-of-turn token, as llama.cpp
 *   closes a reply stopped with Ctrl+C, and one cut by the token limit is left open, as there.
 * - One difference, on purpose: every reply becomes an assistant message of the conversation the template renders.
 *   llama-completion adds only replies that ended on an end-of-generation token, so after a reply cut by `-n` (or
 *   stopped) two user messages follow each other, and a template that checks that roles alternate (Llama 2's,
 *   Mistral's) throws: llama-completion aborts. For the templates that do not check, what the template adds for the
 *   next user message is the same either way, so the tokens are llama.cpp's (the fixtures test this on cut replies).
 *
 * Pure logic: the tokenizer is passed in, so this module knows nothing of node-llama-cpp.
 */
import {Template} from "@huggingface/jinja";

export type ChatRole = "system" | "user" | "assistant";
export type ChatMessage = {role: ChatRole, content: string};

/** what the template is rendered with: the vocabulary's BOS/EOS text and whether it adds BOS itself */
export type TemplateVocabulary = {bosText: string, eosText: string, addBos: boolean};

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** The model's Jinja chat template, rendered as llama.cpp's common_chat_templates_apply renders it. */
/** The conversations a template is checked with before use: one user message, then a system and a user message. */
const CHECK_RENDERS: [readonly ChatMessage[], boolean][] = [
    [[{role: "user", content: "Hello"}], true],
    [[{role: "system", content: "System message"}, {role: "user", content: "User message"}], false]
];

/** What a template is rendered with, as llama.cpp's chat passes it. */
export function templateContext(vocabulary: TemplateVocabulary, messages: readonly ChatMessage[], addGenerationPrompt: boolean, now: Date) {
    const day = String(now.getDate()).padStart(2, "0");
    const month = MONTHS[now.getMonth()]!;
    return {
        messages,
        bos_token: vocabulary.bosText,
        eos_token: vocabulary.eosText,
        enable_thinking: true,
        datetime: `${month} ${day} ${now.getFullYear()}`,
        date_string: `${day} ${month} ${now.getFullYear()}`,
        // llama.cpp sets it only when true
        ...(addGenerationPrompt ? {add_generation_prompt: true} : {})
    };
}

/**
 * The contexts the constructor's checks render, and a second turn (a template may run away only once a reply is in
 * the history), for rendering them first where a runaway template can be stopped.
 */
export function checkContexts(vocabulary: TemplateVocabulary, now = new Date()): object[] {
    const secondTurn: ChatMessage[] = [{role: "user", content: "Hello"}, {role: "assistant", content: "Hi there"}, {role: "user", content: "Go on"}];
    return [...CHECK_RENDERS, [secondTurn, true] as const].map(([messages, addGenerationPrompt]) =>
        templateContext(vocabulary, messages, addGenerationPrompt, now));
}

export class ChatTemplate {
    private readonly template: Template;
    /** false when the template ignores a system message (llama.cpp then merges it into the next message) */
    readonly supportsSystemRole: boolean;

    /** Throws when the template does not parse or does not render a one-message conversation. */
    constructor(readonly source: string, private readonly vocabulary: TemplateVocabulary, private readonly now = () => new Date()) {
        this.template = new Template(source);
        this.render(...CHECK_RENDERS[0]);
        let supports = false;
        try {
            supports = this.renderRaw(...CHECK_RENDERS[1]).includes("System message");
        } catch {
            // a template that raises on a system message does not support one
        }
        this.supportsSystemRole = supports;
    }

    /** The text for these messages, with the generation prompt when asked. */
    render(messages: readonly ChatMessage[], addGenerationPrompt: boolean): string {
        let list = messages.map((m) => ({...m}));
        if (!this.supportsSystemRole && list[0]?.role === "system") {
            const [system, next] = list;
            list = next == null ? [] : [{...next, content: system!.content + "\n" + next.content}, ...list.slice(2)];
        }
        let text = this.renderRaw(list, addGenerationPrompt);
        const {bosText} = this.vocabulary;
        if (this.vocabulary.addBos && bosText !== "" && text.startsWith(bosText)) text = text.slice(bosText.length);
        return text;
    }

    private renderRaw(messages: readonly ChatMessage[], addGenerationPrompt: boolean): string {
        return this.template.render(templateContext(this.vocabulary, messages, addGenerationPrompt, this.now()));
    }

    /**
     * What the template adds for `next` after `past` (llama.cpp's common_chat_format_single): the rendering with it
     * (and the generation prompt when `addGenerationPrompt`) minus the rendering of `past`, with a "\n" in front
     * when `past` rendered ends in one (the reply's end-of-generation token took the place of the template's end).
     */
    formatSingle(past: readonly ChatMessage[], next: ChatMessage, addGenerationPrompt: boolean): string {
        const before = past.length > 0 ? this.render(past, false) : "";
        const after = this.render([...past, next], addGenerationPrompt);
        return (addGenerationPrompt && before.endsWith("\n") ? "\n" : "") + after.slice(before.length);
    }
}

/** How a reply ended, for what follows it in the prompt. */
export type ReplyEnd =
    /** on an end-of-generation token (kept in the prompt after the reply) */
    | "eog"
    /** by the token limit or a full context */
    | "cut"
    /** stopped by the user: closed with the end-of-turn token */
    | "aborted";

/** `Token` is the tokenizer's token type (node-llama-cpp's branded number) */
export type ChatReplyRecord<Token = number> = {text: string, tokens: readonly Token[], end: ReplyEnd, eogToken?: Token};
export type ChatExchange<Token = number> = {user: string, reply?: ChatReplyRecord<Token>};

export type ChatTokenizer<Token = number> = {
    /** text to tokens with special tokens parsed; `addSpecial` adds BOS when the vocabulary adds it */
    tokenize(text: string, addSpecial: boolean): Token[],
    /** the token that closes a stopped reply (EOT, else EOS) */
    endOfTurn: Token | null
};

/**
 * The tokens llama.cpp's chat evaluates for this conversation: the exchanges in order, each user message followed
 * by its reply's tokens; an exchange without a reply ends the prompt with the generation prompt.
 */
export function chatPromptTokens<Token>(template: ChatTemplate, tokenizer: ChatTokenizer<Token>, system: string | undefined,
    exchanges: readonly ChatExchange<Token>[]): Token[] {
    const messages: ChatMessage[] = system ? [{role: "system", content: system}] : [];
    const tokens: Token[] = [];
    exchanges.forEach((exchange, i) => {
        const user: ChatMessage = {role: "user", content: exchange.user};
        if (i === 0) tokens.push(...tokenizer.tokenize(template.render([...messages, user], true), true));
        else tokens.push(...tokenizer.tokenize(template.formatSingle(messages, user, true), false));
        messages.push(user);
        const reply = exchange.reply;
        if (reply == null) return;
        tokens.push(...reply.tokens);
        if (reply.end === "eog" && reply.eogToken != null) tokens.push(reply.eogToken);
        else if (reply.end === "aborted" && tokenizer.endOfTurn != null) tokens.push(tokenizer.endOfTurn);
        messages.push({role: "assistant", content: reply.text});
    });
    return tokens;
}
