/** llama.cpp's chat prompt rules (src/engine/chatPrompt.ts) on their own: a character tokenizer, no model. */
import {describe, expect, it} from "vitest";
import {ChatTemplate, chatPromptTokens, type ChatTokenizer} from "../../src/engine/chatPrompt.js";

const BOS = -1;
const EOT = -2;
/** one token per character, BOS when asked for; "<s>" in the text is parsed as the special token BOS */
const tokenizer: ChatTokenizer = {
    tokenize: (text, addSpecial) => [...(addSpecial ? [BOS] : []), ...text.split("<s>").flatMap((part, i) => [...(i > 0 ? [BOS] : []), ...[...part].map((ch) => ch.codePointAt(0)!)])],
    endOfTurn: EOT
};
const textOf = (tokens: number[]) => tokens.map((t) => (t === BOS ? "<s>" : t === EOT ? "<eot>" : t >= 0 ? String.fromCodePoint(t) : `<${t}>`)).join("");
const vocabulary = {bosText: "<s>", eosText: "</s>", addBos: true};
const QA = "{% for m in messages %}{% if m.role == 'system' %}{{ m.content }}\n{% elif m.role == 'user' %}Q: {{ m.content }}\n"
    + "{% else %}A: {{ m.content }}\n{% endif %}{% endfor %}{% if add_generation_prompt %}A:{% endif %}";

describe("the first turn", () => {
    it("is the whole rendering with the generation prompt, BOS added once, a BOS the template rendered dropped", () => {
        const withBos = new ChatTemplate("{{ bos_token }}" + QA, vocabulary);
        expect(textOf(chatPromptTokens(withBos, tokenizer, undefined, [{user: "hi"}]))).toBe("<s>Q: hi\nA:");
        // a vocabulary that adds no BOS keeps the template's (tokenized as the special token)
        const noAdd = new ChatTemplate("{{ bos_token }}" + QA, {...vocabulary, addBos: false});
        const noAddTokenizer: ChatTokenizer = {...tokenizer, tokenize: (text) => tokenizer.tokenize(text, false)};
        expect(textOf(chatPromptTokens(noAdd, noAddTokenizer, undefined, [{user: "hi"}]))).toBe("<s>Q: hi\nA:");
        // a BOS the template renders later (Llama 2: before every user turn) stays
        const later = new ChatTemplate("{% for m in messages %}{{ bos_token }}[{{ m.content }}]{% endfor %}", vocabulary);
        expect(later.render([{role: "user", content: "a"}, {role: "assistant", content: "b"}], false)).toBe("[a]<s>[b]");
    });

    it("has no system message unless one is given, and an empty one is left out", () => {
        const t = new ChatTemplate(QA, vocabulary);
        const none = textOf(chatPromptTokens(t, tokenizer, undefined, [{user: "hi"}]));
        expect(none).toBe("<s>Q: hi\nA:");
        expect(textOf(chatPromptTokens(t, tokenizer, "", [{user: "hi"}]))).toBe(none);
        expect(textOf(chatPromptTokens(t, tokenizer, "Be kind.", [{user: "hi"}]))).toBe("<s>Be kind.\nQ: hi\nA:");
    });

    it("a template that ignores system messages gets the system prompt merged into the first user message", () => {
        const t = new ChatTemplate("{% for m in messages %}{% if m.role == 'user' %}U: {{ m.content }}\n{% endif %}{% endfor %}", vocabulary);
        expect(t.supportsSystemRole).toBe(false);
        expect(new ChatTemplate(QA, vocabulary).supportsSystemRole).toBe(true);
        expect(textOf(chatPromptTokens(t, tokenizer, "Be kind.", [{user: "hi"}]))).toBe("<s>U: Be kind.\nhi\n");
    });

    it("a template that does not render is refused when it is made", () => {
        expect(() => new ChatTemplate("{% for m in messages %}{{ m.content | nosuchfilter }}{% endfor %}", vocabulary)).toThrow();
        expect(() => new ChatTemplate("{% if %}", vocabulary)).toThrow();
    });
});

describe("later turns", () => {
    const t = new ChatTemplate(QA, vocabulary);

    it("add what the template adds for the message after the reply's own tokens and its end-of-generation token", () => {
        const reply = {text: " yo", tokens: [..." yo"].map((c) => c.codePointAt(0)!), end: "eog" as const, eogToken: -3};
        const tokens = chatPromptTokens(t, tokenizer, undefined, [{user: "hi", reply}, {user: "and"}]);
        // the past rendering ends in "\n", so the new part starts with one (common_chat_format_single), and no BOS
        expect(textOf(tokens)).toBe("<s>Q: hi\nA: yo<-3>\nQ: and\nA:");
        expect(t.formatSingle([{role: "user", content: "hi"}, {role: "assistant", content: " yo"}], {role: "user", content: "and"}, true))
            .toBe("\nQ: and\nA:");
    });

    it("a reply stopped by the user is closed with the end-of-turn token; one cut by the limit is left open", () => {
        const tokensOf = (end: "aborted" | "cut") => textOf(chatPromptTokens(t, tokenizer, undefined,
            [{user: "hi", reply: {text: " y", tokens: [32, 121], end}}, {user: "and"}]));
        expect(tokensOf("aborted")).toBe("<s>Q: hi\nA: y<eot>\nQ: and\nA:");
        expect(tokensOf("cut")).toBe("<s>Q: hi\nA: y\nQ: and\nA:");
    });

    it("every reply is an assistant message, so a template that checks that roles alternate renders after a cut reply", () => {
        const strict = new ChatTemplate("{% for m in messages %}{% if (m.role == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate') }}{% endif %}[{{ m.role }}:{{ m.content }}]{% endfor %}", vocabulary);
        const tokens = chatPromptTokens(strict, tokenizer, undefined, [{user: "a", reply: {text: "b", tokens: [98], end: "cut"}}, {user: "c"}]);
        expect(textOf(tokens)).toBe("<s>[user:a]b[user:c]");
    });
});
