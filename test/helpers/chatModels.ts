/**
 * Chat copies of stories260K: the real model with a Jinja `tokenizer.chat_template` its 512-token vocabulary can
 * spell, for chat-mode parity with llama.cpp (test/fixtures/llama-chat.json, made by scripts/make-chat-fixtures.ts,
 * which writes the copies with this same code).
 *
 * stories260K was trained (llama2.c) on stories each begun with BOS and never ended with EOS, so it closes a story
 * by writing BOS, and never writes EOS. The copies name BOS the end-of-turn token too (`eot_token_id` = 1): a reply
 * then ends where the story does, as a chat model's reply ends on its end-of-turn token, in llama.cpp and here.
 */
import {readFileSync, writeFileSync} from "node:fs";
import path from "node:path";
import {gguf} from "../../src/gguf/ggufWriter.js";
import {editGgufMetadata} from "./ggufEdit.js";

/** Templates spelled with characters of stories260K's vocabulary (its only special tokens are <unk>, <s>, </s>). */
export const CHAT_TEMPLATES = {
    // question/answer lines, a system line; the generation prompt is "A:" (the assistant branch renders "A: ")
    qa: "{% for m in messages %}{% if m.role == 'user' %}Q: {{ m.content }}\n{% elif m.role == 'assistant' %}A: {{ m.content }}\n"
        + "{% elif m.role == 'system' %}{{ m.content }}\n{% endif %}{% endfor %}{% if add_generation_prompt %}A:{% endif %}",
    // Llama 2's own template (BOS before every user turn, EOS after every reply, <<SYS>> block): node-llama-cpp has a
    // dedicated wrapper for this format
    llama2: "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}"
        + "{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
        + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
        + "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
        + "{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
        + "{% elif message['role'] == 'assistant' %}{{ ' ' + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}",
    // ChatML (node-llama-cpp has a dedicated wrapper); here <|im_start|> and <|im_end|> are plain text
    chatml: "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
        + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
    // no system role: the template renders only user and assistant turns (llama.cpp then merges the system prompt
    // into the first user message); BOS rendered by the template at the start
    nosys: "{{ bos_token }}{% for m in messages %}{% if m.role == 'user' %}User: {{ m.content | trim }}\n"
        + "{% elif m.role == 'assistant' %}Assistant: {{ m.content | trim }}{{ eos_token }}\n{% endif %}{% endfor %}"
        + "{% if add_generation_prompt %}Assistant:{% endif %}"
} as const;

export type ChatTemplateName = keyof typeof CHAT_TEMPLATES;

/** stories260K with this chat template and BOS as its end-of-turn token, written to `dir`. */
export function writeChatModel(storiesModel: string, name: ChatTemplateName, dir: string): string {
    const file = path.join(dir, `stories260K-${name}.gguf`);
    writeFileSync(file, editGgufMetadata(readFileSync(storiesModel), {
        "tokenizer.chat_template": gguf.str(CHAT_TEMPLATES[name]),
        "tokenizer.ggml.eot_token_id": gguf.u32(1)
    }));
    return file;
}
