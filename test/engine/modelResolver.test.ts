/** Finding models without --model: the local models folder (links included) and the offline message for hf: URIs. */
import {execFile} from "node:child_process";
import {mkdirSync, symlinkSync, writeFileSync} from "node:fs";
import path from "node:path";
import {promisify} from "node:util";
import {describe, expect, it} from "vitest";
import {listLocalModels} from "../../src/engine/modelResolver.js";
import {repoRoot, tempDir} from "../helpers/tinyModel.js";

const run = promisify(execFile);

describe("the models folder", () => {
    it("lists .gguf files two folders deep, follows symlinks, skips dangling ones and other files", () => {
        const dir = tempDir();
        const elsewhere = tempDir();
        writeFileSync(path.join(dir, "a.gguf"), Buffer.alloc(10));
        mkdirSync(path.join(dir, "sub"));
        writeFileSync(path.join(dir, "sub", "b.GGUF"), Buffer.alloc(20));
        writeFileSync(path.join(dir, "notes.txt"), "not a model");
        writeFileSync(path.join(elsewhere, "big.gguf"), Buffer.alloc(30));
        symlinkSync(path.join(elsewhere, "big.gguf"), path.join(dir, "linked.gguf"));
        symlinkSync(path.join(elsewhere, "gone.gguf"), path.join(dir, "dangling.gguf"));
        mkdirSync(path.join(elsewhere, "more"));
        writeFileSync(path.join(elsewhere, "more", "c.gguf"), Buffer.alloc(40));
        symlinkSync(path.join(elsewhere, "more"), path.join(dir, "linked-dir"));
        expect(listLocalModels(dir).map((m) => [m.name, m.sizeBytes])).toEqual([
            ["a.gguf", 10], [path.join("linked-dir", "c.gguf"), 40], ["linked.gguf", 30], [path.join("sub", "b.GGUF"), 20]
        ]);
        expect(listLocalModels(path.join(dir, "missing"))).toEqual([]);
    });

    it("an hf: model with no network is one line saying so and how to pass a local file (exit 2)", async () => {
        const env = {...process.env, HF_ENDPOINT: "http://127.0.0.1:9/", STEER_CHAT_MODELS_DIR: tempDir()};
        const result = await run(process.execPath, [path.join(repoRoot, "bin", "steer-chat.js"), "ask", "--model", "hf:someone/some-model-GGUF:Q4_K_M", "hi"],
            {env}).then(() => ({code: 0, stderr: "", stdout: ""}), (e: {code: number, stderr: string, stdout: string}) => e);
        expect(result.code).toBe(2);
        expect(result.stdout).toBe("");
        expect(result.stderr).toBe("steer-chat: Offline: could not download hf:someone/some-model-GGUF:Q4_K_M — pass a local model file instead: steer-chat --model path/to/model.gguf\n");
    });
});
