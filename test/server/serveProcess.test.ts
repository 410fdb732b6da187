/**
 * `steer-chat serve` as a child process (dist/, built by `npm run build`): its replies equal `steer-chat ask`'s with
 * the same steering, raw and chat; it refuses to open a non-loopback address without a key; SIGTERM while requests
 * run ends them with an error and the process exits 0.
 */
import {spawn, type ChildProcess} from "node:child_process";
import {afterAll, describe, expect, it} from "vitest";
import OpenAI from "openai";
import {bin, expectOneLineError, runCli} from "../helpers/cliRun.js";
import {repoRoot, storiesModelPath, tempDir} from "../helpers/tinyModel.js";
import {writeChatModel} from "../helpers/chatModels.js";

type Exit = {code: number | null, signal: NodeJS.Signals | null};
type Child = {child: ChildProcess, url: string, stderr: () => string, exited: Promise<Exit>};
const children: ChildProcess[] = [];

afterAll(() => {
    for (const child of children) if (child.exitCode == null && child.signalCode == null) child.kill("SIGKILL");
});

/** Starts `steer-chat serve ARGS --port 0` and waits (at most 60 s) for the line that says where it listens. */
function startServe(args: string[]): Promise<Child> {
    const child = spawn(process.execPath, [bin, "serve", "--port", "0", ...args], {cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"]});
    children.push(child);
    let stdout = "";
    let stderr = "";
    const exited = new Promise<Exit>((resolve) =>
        child.on("exit", (code, signal) => resolve({code, signal})));
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 60_000);
        child.stderr!.setEncoding("utf8").on("data", (d: string) => { stderr += d; });
        child.stdout!.setEncoding("utf8").on("data", (d: string) => {
            stdout += d;
            const url = /listening on (http:\/\/[^\s]+)/.exec(stdout)?.[1];
            if (url != null) {
                clearTimeout(timer);
                resolve({child, url, stderr: () => stderr, exited});
            }
        });
        void exited.then(({code}) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
}

const client = (url: string) => new OpenAI({baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0, timeout: 30_000});

describe("steer-chat serve (the process)", () => {
    it("refuses to listen beyond this machine without an API key, in one line, before loading anything", async () => {
        const started = performance.now();
        const line = expectOneLineError(await runCli(["serve", "--model", "demo", "--host", "0.0.0.0"]));
        expect(line).toMatch(/--host 0\.0\.0\.0 would open the model to the network without a key — pass --api-key/);
        expect(performance.now() - started).toBeLessThan(30_000);
    });

    it("has its own --help", async () => {
        const help = await runCli(["serve", "--help"]);
        expect(help.code).toBe(0);
        expect(help.stdout).toContain("POST /v1/chat/completions");
        expect(help.stdout).toContain("--api-key KEY");
        expect(help.stdout).toContain("\"steering\": {\"preset\": \"cheerful\"}");
    });

    it("a greedy steered request equals steer-chat ask --raw with the same steering", async () => {
        const server = await startServe(["--model", "demo"]);
        const openai = client(server.url);
        for (const [vectors, steering] of [[["--vector", "sue:0.8"], {vectors: [{name: "sue", coefficient: 0.8}]}],
            [[], false], [["--vector", "tim:0.75", "--vector", "sue:-0.3"], {vectors: [{name: "tim", coefficient: 0.75}, {name: "sue", coefficient: -0.3}]}]] as const) {
            const asked = await runCli(["ask", "--raw", "--model", "demo", "--temperature", "0", "--max-tokens", "48", ...vectors, "Once upon a time"]);
            expect(asked.code, asked.stderr).toBe(0);
            const served = await openai.completions.create({model: "stories260K", prompt: "Once upon a time", max_tokens: 48, temperature: 0,
                ...{steering}});
            expect(served.choices[0]!.text).toBe(asked.stdout);
        }
        server.child.kill("SIGTERM");
        expect(await server.exited).toEqual({code: 0, signal: null});
    });

    it("a greedy chat request equals steer-chat ask in chat mode, with the same steering and system prompt", async () => {
        const model = writeChatModel(storiesModelPath, "qa", tempDir());
        const server = await startServe(["--model", model]);
        const openai = client(server.url);
        const prompt = "Tell me a story about a dog";
        const asked = await runCli(["ask", "--model", model, "--temperature", "0", "--max-tokens", "32", "--vector", "tim:0.75",
            "--system", "You tell stories.", prompt]);
        expect(asked.code, asked.stderr).toBe(0);
        const served = await openai.chat.completions.create({model: "stories260K-qa", max_tokens: 32, temperature: 0,
            messages: [{role: "system", content: "You tell stories."}, {role: "user", content: prompt}],
            ...{steering: {vectors: [{name: "tim", coefficient: 0.75}]}}});
        expect(served.choices[0]!.message.content).toBe(asked.stdout);
        server.child.kill("SIGTERM");
        expect(await server.exited).toEqual({code: 0, signal: null});
    });

    it("SIGTERM while requests run and wait: they end with an error, the process exits 0", async () => {
        const server = await startServe(["--model", "demo", "--max-tokens", "2000"]);
        const openai = client(server.url);
        const stream = await openai.completions.create({model: "stories260K", prompt: "Once upon a time", max_tokens: 2000, temperature: 0,
            stream: true});
        const iterator = stream[Symbol.asyncIterator]();
        await iterator.next(); // it runs
        const waiting = fetch(`${server.url}/v1/completions`, {method: "POST", headers: {"Content-Type": "application/json"},
            body: JSON.stringify({model: "stories260K", prompt: "Once", max_tokens: 2000})});
        // left as a pause: nothing outside the process shows that a request waits (serve.test.ts waits on the
        // queue itself, in process); were it not queued yet, it would be refused by the closed port, not with 503
        await new Promise((r) => setTimeout(r, 100));
        server.child.kill("SIGTERM");
        const streamEnd = (async () => {
            for (;;) if ((await iterator.next()).done) return "ended without an error";
        })().catch((err: unknown) => err);
        const ended = await streamEnd;
        expect(ended).toBeInstanceOf(OpenAI.APIError);
        expect((ended as InstanceType<typeof OpenAI.APIError>).message).toMatch(/shutting down/);
        const refused = await waiting;
        expect(refused.status).toBe(503);
        expect(await refused.json()).toMatchObject({error: {code: "shutting_down"}});
        expect(await server.exited).toEqual({code: 0, signal: null});
        expect(server.stderr()).toContain("shutting down");
        expect(server.stderr()).not.toMatch(/\n\s+at /);
    });
});
