/** Finding models without --model: the local models folder (links included) and the offline message for hf: URIs. */
import {execFile} from "node:child_process";
import {mkdirSync, symlinkSync, writeFileSync} from "node:fs";
import path from "node:path";
import {promisify} from "node:util";
import {describe, expect, it} from "vitest";
import {createServer, type Socket} from "node:net";
import {checkRemoteModelUri, listLocalModels, resolveModel} from "../../src/engine/modelResolver.js";
import {UserFacingError} from "../../src/errors.js";
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

    it("a malformed hf: URI is refused before anything is fetched, in one line (exit 2)", async () => {
        for (const bad of ["hf:../../etc/passwd", "hf:user", "hf:/repo:Q4", "hf:user/../x.gguf", "hf:user/repo:Q4/extra", "hf:.hidden/repo:Q4",
            "hf:user/repo//x.gguf", "hf:user/re po:Q4", "https://", "ftp://host/x.gguf"])
            expect(() => checkRemoteModelUri(bad), bad).toThrow(UserFacingError);
        for (const good of ["hf:bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M", "hf:user/repo", "hf:user/repo/sub/model.Q4.gguf", "hf:user/repo:Q8_0#main",
            "huggingface:user/repo:Q4", "https://example.com/m.gguf"])
            expect(() => checkRemoteModelUri(good), good).not.toThrow();
        // through the CLI, with a network endpoint that would answer: refused before it is asked
        const env = {...process.env, HF_ENDPOINT: "http://127.0.0.1:9/", STEER_CHAT_MODELS_DIR: tempDir()};
        const result = await run(process.execPath, [path.join(repoRoot, "bin", "steer-chat.js"), "ask", "--model", "hf:../../etc/passwd", "hi"],
            {env, timeout: 60_000}).then(() => ({code: 0, stderr: "", stdout: ""}), (e: {code: number, stderr: string, stdout: string}) => e);
        expect(result.code).toBe(2);
        expect(result.stderr).toBe("steer-chat: Not a Hugging Face model URI: hf:../../etc/passwd — use hf:user/repo:quant " +
            "(e.g. hf:bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M) or hf:user/repo/file.gguf\n");
    });

    it("a download that gets no byte is given up after the stall time, naming the host (the downloader retried silently)", async () => {
        // a server that accepts connections and never answers, like a firewall that lets the handshake through
        const sockets: Socket[] = [];
        const server = createServer((socket) => { sockets.push(socket); });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const {port} = server.address() as {port: number};
        process.env.STEER_CHAT_MODELS_DIR = tempDir();
        try {
            await expect(resolveModel(`http://127.0.0.1:${port}/model.gguf`, {stallSeconds: 1}))
                .rejects.toThrow(`Could not download http://127.0.0.1:${port}/model.gguf: no data from 127.0.0.1:${port} for 1 s (offline?)`);
            expect(sockets.length).toBeGreaterThan(0); // it did try
        } finally {
            delete process.env.STEER_CHAT_MODELS_DIR;
            sockets.forEach((s) => s.destroy());
            server.close();
        }
    });
});
