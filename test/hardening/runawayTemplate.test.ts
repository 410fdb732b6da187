/**
 * A chat template is code from the model file. One that loops (`range(100000000)`) or grows without end must not
 * take the main thread: it is rendered first in a worker bounded in time and memory, and a runaway is not used; chat
 * goes on in node-llama-cpp's plain format and says so in one line. stories260K with such templates.
 */
import {readFileSync, writeFileSync} from "node:fs";
import path from "node:path";
import {afterAll, describe, expect, it} from "vitest";
import {createConversation} from "../../src/engine/conversation.js";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {probeTemplate} from "../../src/engine/templateProbe.js";
import {gguf} from "../../src/gguf/ggufWriter.js";
import {editGgufMetadata} from "../helpers/ggufEdit.js";
import {storiesModelPath, tempDir} from "../helpers/tinyModel.js";

const LOOP = "{% for i in range(100000000) %}{% endfor %}{% for m in messages %}{{ m.content }}{% endfor %}";
const context = [{messages: [{role: "user", content: "Hello"}], add_generation_prompt: true}];

describe("runaway chat templates", () => {
    it("the probe: a template that renders is fine; a loop runs out its time; an error is a failure, not a runaway", () => {
        expect(probeTemplate("{% for m in messages %}{{ m.content }}{% endfor %}", context)).toEqual({kind: "rendered"});
        // the bound is in the probe, not in this test: 1 s for a loop of 10^8 iterations
        expect(probeTemplate(LOOP, context, {timeoutMs: 1000})).toEqual({kind: "runaway", problem: "it does not render within 1 s and 256 MB"});
        expect(probeTemplate("{{ raise_exception('roles must alternate') }}", context)).toEqual({kind: "failed", problem: "roles must alternate"});
    });

    let loaded: LoadedModel | undefined;
    afterAll(async () => {
        await loaded?.dispose();
    });

    it("chat mode on a model with a looping template: not used, one line says so, and the chat answers", async () => {
        const file = path.join(tempDir("steer-runaway-"), "loop.gguf");
        writeFileSync(file, editGgufMetadata(readFileSync(storiesModelPath), {"tokenizer.chat_template": gguf.str(LOOP)}));
        loaded = await loadModel(file, {contextSize: 256});
        const conversation = createConversation(loaded, {mode: "chat", sampling: {temperature: 0, maxTokens: 8}});
        try {
            expect(conversation.notes).toHaveLength(1);
            expect(conversation.notes![0]).toMatch(/^The model's chat template is not used: it does not render within 10 s and 256 MB; chatting in node-llama-cpp's \S+ format instead$/);
            const reply = await conversation.send("Once upon a time");
            expect(reply.tokenCount).toBeGreaterThan(0);
        } finally {
            conversation.dispose();
        }
    });
});
