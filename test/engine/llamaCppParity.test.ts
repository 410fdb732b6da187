/**
 * The real CLI against llama.cpp itself: `steer-chat ask --raw --temperature 0` must print exactly what llama.cpp's
 * llama-completion printed for the same prompt and token count (test/fixtures/llama-completion.json, made by
 * scripts/make-fixtures.mjs). Also documents why raw mode does not use node-llama-cpp's LlamaCompletion.
 */
import {execFile} from "node:child_process";
import {readFileSync} from "node:fs";
import path from "node:path";
import {promisify} from "node:util";
import {LlamaCompletion} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {repoRoot, storiesModelPath} from "../helpers/tinyModel.js";

const run = promisify(execFile);
type Case = {prompt: string, maxTokens: number, vectors?: string[], expected: string};
const fixture = JSON.parse(readFileSync(path.join(repoRoot, "test", "fixtures", "llama-completion.json"), "utf8")) as {model: string, cases: Case[]};
// steered cases (vectors) are covered by test/steering/steeringCli.test.ts
const plainCases = fixture.cases.filter((c) => c.vectors == null);
const relativeModel = path.relative(repoRoot, storiesModelPath); // models/stories260K.gguf

describe("steer-chat ask --raw --temperature 0 prints what llama.cpp's llama-completion prints", () => {
    it("the fixture has plain cases for stories260K, including one with a leading space", () => {
        expect(fixture.model).toBe(path.basename(storiesModelPath));
        expect(plainCases.length).toBeGreaterThanOrEqual(4);
        expect(plainCases.some((c) => c.prompt.startsWith(" "))).toBe(true);
    });

    for (const c of plainCases) {
        it(`${JSON.stringify(c.prompt)} with --max-tokens ${c.maxTokens}`, async () => {
            const {stdout, stderr} = await run(process.execPath,
                ["bin/steer-chat.js", "ask", "--raw", "--temperature", "0", "--max-tokens", String(c.maxTokens), "--model", relativeModel, c.prompt],
                {cwd: repoRoot, encoding: "utf8"});
            // execFile rejects on a non-zero exit, so reaching here means exit code 0
            expect(stdout).toBe(c.expected); // stdout is a pipe, not a TTY: no trailing newline
            expect(stderr).toBe("");
        });
    }
});

describe("node-llama-cpp's LlamaCompletion (why raw mode has its own loop)", () => {
    let loaded: LoadedModel;
    beforeAll(async () => {
        loaded = await loadModel(storiesModelPath, {gpu: false});
    });
    afterAll(async () => {
        await loaded?.dispose();
    });

    it("drifts from llama.cpp on the prompt with a leading space (not only in whitespace)", async () => {
        const c = plainCases.find((x) => x.prompt.startsWith(" "))!;
        const sequence = loaded.context.getSequence();
        const completion = new LlamaCompletion({contextSequence: sequence});
        try {
            const text = await completion.generateCompletion(c.prompt, {temperature: 0, maxTokens: c.maxTokens});
            expect(text).not.toBe(c.expected);
            expect(text.trim()).not.toBe(c.expected.trim());
        } finally {
            completion.dispose();
            sequence.dispose();
        }
    });
});
