/**
 * steer-chat serve in this process, on 127.0.0.1 and a free port, driven by the official openai client and by raw
 * fetch: completions and chat, streaming and not, steering per request, the default steering, the errors, a load
 * of concurrent clients with different steering (every reply equal to the same request served alone), clients that
 * go away mid-stream, a full queue.
 */
import {afterAll, beforeAll, describe, expect, it, vi} from "vitest";
import OpenAI from "openai";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {createConversation} from "../../src/engine/conversation.js";
import {openServer, serverSequences, type OpenedServer, type OpenServerOptions} from "../../src/server/openServer.js";
import {storiesModelPath, tempDir} from "../helpers/tinyModel.js";
import {writeChatModel} from "../helpers/chatModels.js";

type Served = {loaded: LoadedModel, server: OpenedServer, url: string, client: OpenAI, log: string[]};
const started: Served[] = [];

/** a server as `steer-chat serve` opens one: its context has a sequence per batched request (parallel: 1, one) */
async function serve(modelPath: string, options: Partial<OpenServerOptions> & {parallel?: number} = {}): Promise<Served> {
    const loaded = await loadModel(modelPath, {sequences: serverSequences(options.parallel)});
    const log: string[] = [];
    const server = await openServer(loaded, {vectors: [], log: (line) => log.push(line), ...options});
    const url = await server.app.listen({host: "127.0.0.1", port: 0});
    const client = new OpenAI({baseURL: `${url}/v1`, apiKey: options.apiKey ?? "unused", maxRetries: 0, timeout: 30_000});
    const served = {loaded, server, url, client, log};
    started.push(served);
    return served;
}

afterAll(async () => {
    for (const {server, loaded} of started.splice(0)) {
        await server.close();
        await loaded.dispose();
    }
});

type Steering = false | {vectors?: {name: string, coefficient?: number, sigma?: number, layers?: [number, number]}[], preset?: string,
    policy?: "all" | "reply"};
type Extras = {steering?: Steering, gauge?: boolean, readout?: boolean, cache_prompt?: boolean};
/** what the server adds to a response */
type SteeringView = {vectors: {name: string, coefficient: number, sigma?: number}[], policy: string, description: string, source: string,
    preset?: string};
type Added = {steering: SteeringView, gauge?: {kl: number, repetition: number, perplexity: number}, readout?: {name: string, z: number}[]};

/** the openai client sends extra body fields as given; its types do not know them */
const withExtras = <T extends object>(params: T, extras: Extras): T => ({...params, ...extras});
const added = (response: object) => response as unknown as Added;

const SUE: Steering = {vectors: [{name: "sue", coefficient: 0.8}]};
const TIM: Steering = {vectors: [{name: "tim", coefficient: 0.75}]};

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json", ...headers},
        body: typeof body === "string" ? body : JSON.stringify(body)});
    type ErrorBody = {error?: {message: string, type: string, param: string | null, code: string | null}};
    return {status: response.status, body: await response.json() as ErrorBody};
}

describe("serve: completions (raw, as ask --raw)", () => {
    let s: Served;
    beforeAll(async () => { s = await serve(storiesModelPath, {maxTokens: 2000, queue: 16}); });

    const complete = (extras: Extras, params: Partial<OpenAI.CompletionCreateParamsNonStreaming> = {}) =>
        s.client.completions.create(withExtras({model: "stories260K", prompt: "Once upon a time", max_tokens: 32, temperature: 0, ...params}, extras));

    it("lists the model, with the default steering", async () => {
        const models = await s.client.models.list();
        expect(models.data.map((m) => m.id)).toEqual(["stories260K"]);
        expect((models.data[0] as unknown as Added).steering.description).toBe("no steering");
    });

    it("steers per request: the response names the steering it was made with", async () => {
        const plain = await complete({});
        const sue = await complete({steering: SUE});
        const tim = await complete({steering: TIM});
        const off = await complete({steering: false});
        expect(added(plain).steering).toMatchObject({description: "no steering", source: "default", policy: "all"});
        expect(added(sue).steering).toMatchObject({vectors: [{name: "sue", coefficient: 0.8}], description: "sue +0.80", source: "request"});
        expect(added(off).steering).toMatchObject({description: "no steering", source: "request"});
        expect(off.choices[0]!.text).toBe(plain.choices[0]!.text);
        expect(tim.choices[0]!.text).not.toBe(plain.choices[0]!.text);
        expect(tim.choices[0]!.text).toContain("Tim");
        expect(plain.choices[0]!.finish_reason).toBe("length");
        expect(plain.usage).toMatchObject({prompt_tokens: 5, completion_tokens: 32, total_tokens: 37});
    });

    it("streams the same text, the steering in the first and the last chunk, usage when asked", async () => {
        const whole = await complete({steering: TIM});
        const stream = await s.client.completions.create(withExtras({model: "stories260K", prompt: "Once upon a time", max_tokens: 32,
            temperature: 0, stream: true as const, stream_options: {include_usage: true}}, {steering: TIM}));
        const chunks: OpenAI.Completion[] = [];
        for await (const chunk of stream) chunks.push(chunk);
        expect(chunks.map((c) => c.choices[0]?.text ?? "").join("")).toBe(whole.choices[0]!.text);
        expect(added(chunks[0]!).steering.description).toBe("tim +0.75");
        const last = chunks.filter((c) => c.choices.length > 0).at(-1)!;
        expect(last.choices[0]!.finish_reason).toBe("length");
        expect(added(last).steering.description).toBe("tim +0.75");
        expect(chunks.at(-1)!.usage).toMatchObject({prompt_tokens: 5, completion_tokens: 32});
    });

    it("takes strengths in σ, layer ranges and the reply-only policy", async () => {
        const sigma = await complete({steering: {vectors: [{name: "tim", sigma: 0.1, layers: [2, 4]}], policy: "reply"}});
        const view = added(sigma).steering;
        expect(view.policy).toBe("reply");
        expect(view.vectors[0]).toMatchObject({name: "tim", sigma: 0.1, layers: [2, 4]});
        expect(view.vectors[0]!.coefficient).toBeGreaterThan(0);
        // the same coefficient given raw is the same steering
        const raw = await complete({steering: {vectors: [{name: "tim", coefficient: view.vectors[0]!.coefficient, layers: [2, 4]}], policy: "reply"}});
        expect(raw.choices[0]!.text).toBe(sigma.choices[0]!.text);
    });

    it("takes a preset by name, its sampling under the request's own fields", async () => {
        const preset = await complete({steering: {preset: "about-tim"}});
        expect(added(preset).steering).toMatchObject({preset: "about-tim", description: "tim +0.75"});
        expect(preset.choices[0]!.text).toBe((await complete({steering: TIM})).choices[0]!.text);
    });

    it("cuts the text at the first stop string, and stops there", async () => {
        const whole = (await complete({})).choices[0]!.text;
        const cut = await complete({}, {stop: ["girl", "Lily"]});
        expect(whole).toContain("girl");
        expect(cut.choices[0]!.text).toBe(whole.slice(0, whole.indexOf("girl")));
        expect(cut.choices[0]!.finish_reason).toBe("stop");
        const streamed = await s.client.completions.create({model: "stories260K", prompt: "Once upon a time", max_tokens: 32, temperature: 0,
            stream: true, stop: "girl"});
        let text = "";
        for await (const chunk of streamed) text += chunk.choices[0]?.text ?? "";
        expect(text).toBe(cut.choices[0]!.text);
    });

    type CompletionLogprobs = {tokens: string[], token_logprobs: number[], top_logprobs: Record<string, number>[], text_offset: number[]};
    const logprobsOf = (choice: {logprobs: unknown}) => choice.logprobs as CompletionLogprobs;

    it("gives logprobs in OpenAI's completion shape: the tokens make up the text, the greedy token tops its step", async () => {
        const plain = await complete({});
        expect(plain.choices[0]!.logprobs).toBeNull();
        const result = await complete({}, {logprobs: 5});
        const text = result.choices[0]!.text;
        expect(text).toBe(plain.choices[0]!.text);
        const lp = logprobsOf(result.choices[0]!);
        expect(Object.keys(lp).sort()).toEqual(["text_offset", "token_logprobs", "tokens", "top_logprobs"]);
        expect(lp.tokens).toHaveLength(32);
        expect(lp.tokens.join("")).toBe(text);
        // offsets count from the prompt's start, as OpenAI's
        let offset = "Once upon a time".length;
        lp.tokens.forEach((token, i) => {
            expect(lp.text_offset[i]).toBe(offset);
            offset += token.length;
            expect(lp.token_logprobs[i]).toBeLessThanOrEqual(0);
            const top = Object.entries(lp.top_logprobs[i]!);
            expect(top.length).toBeGreaterThan(0);
            expect(top.length).toBeLessThanOrEqual(5);
            const best = top.reduce((a, b) => (b[1] > a[1] ? b : a));
            expect(best[0]).toBe(token);
            expect(best[1]).toBe(lp.token_logprobs[i]);
        });
        // logprobs: 0 gives the chosen tokens only
        const chosen = logprobsOf((await complete({}, {logprobs: 0})).choices[0]!);
        expect(chosen.token_logprobs).toEqual(lp.token_logprobs);
        expect(chosen.top_logprobs.every((top) => Object.keys(top).length === 0)).toBe(true);
    });

    it("streams the same logprobs, each token with the text it completes", async () => {
        const whole = logprobsOf((await complete({steering: SUE}, {logprobs: 2})).choices[0]!);
        const stream = await s.client.completions.create(withExtras({model: "stories260K", prompt: "Once upon a time", max_tokens: 32,
            temperature: 0, stream: true as const, logprobs: 2}, {steering: SUE}));
        const tokens: string[] = [];
        const values: number[] = [];
        for await (const chunk of stream) {
            const choice = chunk.choices[0];
            if (choice == null || choice.logprobs == null) continue;
            const lp = logprobsOf(choice);
            expect(lp.tokens.join("")).toBe(choice.text);
            tokens.push(...lp.tokens);
            values.push(...lp.token_logprobs);
        }
        expect(tokens).toEqual(whole.tokens);
        expect(values).toEqual(whole.token_logprobs);
    });

    it("answers 400 to logprobs where the native generation loop cannot run", async () => {
        const saved = process.env.STEER_CHAT_NATIVE_LOOP;
        process.env.STEER_CHAT_NATIVE_LOOP = "0";
        try {
            const refused = await post(`${s.url}/v1/completions`, {model: "stories260K", prompt: "Once upon a time", max_tokens: 4, logprobs: 1});
            expect(refused.status).toBe(400);
            expect(refused.body.error).toMatchObject({param: "logprobs", code: "logprobs_unavailable"});
            expect(refused.body.error!.message).toMatch(/native generation loop \(STEER_CHAT_NATIVE_LOOP=0\)/);
        } finally {
            if (saved == null) delete process.env.STEER_CHAT_NATIVE_LOOP;
            else process.env.STEER_CHAT_NATIVE_LOOP = saved;
        }
    });

    it("leaves out the tokens past a stop string", async () => {
        const whole = logprobsOf((await complete({}, {logprobs: 1})).choices[0]!);
        const cut = await complete({}, {stop: ["girl"], logprobs: 1});
        const text = cut.choices[0]!.text;
        const kept = logprobsOf(cut.choices[0]!);
        expect(kept.tokens).toEqual(whole.tokens.slice(0, kept.tokens.length));
        expect(kept.tokens.length).toBeLessThan(whole.tokens.length);
        // the kept tokens cover the text, and the last of them starts inside it
        expect(kept.tokens.join("").startsWith(text)).toBe(true);
        expect(kept.tokens.slice(0, -1).join("").length).toBeLessThan(text.length);
    });

    it("returns the gauge and the read-out when asked", async () => {
        const result = added(await complete({steering: TIM, gauge: true, readout: true}));
        expect(result.gauge!.kl).toBeGreaterThan(0);
        expect(result.gauge!.perplexity).toBeGreaterThan(1);
        expect(result.gauge!.repetition).toBeGreaterThanOrEqual(0);
        expect(result.readout!.map((r) => r.name)).toEqual(["tim"]);
        expect(Number.isFinite(result.readout![0]!.z)).toBe(true);
        const unsteered = added(await complete({steering: false, gauge: true}));
        expect(unsteered.gauge!.kl).toBe(0);
    });

    it("keeps the prompt cache by steering when asked, with the same replies", async () => {
        const fresh = [(await complete({steering: SUE})).choices[0]!.text, (await complete({steering: TIM})).choices[0]!.text];
        for (let i = 0; i < 3; i++) {
            expect((await complete({steering: SUE, cache_prompt: true})).choices[0]!.text).toBe(fresh[0]);
            expect((await complete({steering: TIM, cache_prompt: true})).choices[0]!.text).toBe(fresh[1]);
        }
    });

    it("reads and changes the default steering", async () => {
        const before = (await complete({})).choices[0]!.text;
        const set = await post(`${s.url}/v1/steering`, TIM);
        expect(set.status).toBe(200);
        expect(await (await fetch(`${s.url}/v1/steering`)).json()).toMatchObject({steering: {description: "tim +0.75", source: "default"}});
        const steered = await complete({});
        expect(added(steered).steering).toMatchObject({description: "tim +0.75", source: "default"});
        expect(steered.choices[0]!.text).toBe((await complete({steering: TIM})).choices[0]!.text);
        expect((await post(`${s.url}/v1/steering`, false)).status).toBe(200);
        expect((await complete({})).choices[0]!.text).toBe(before);
        expect((await post(`${s.url}/v1/steering`, {vectors: [{name: "nope"}]})).status).toBe(400);
    });

    it("lists the vectors by name with their quality scores", async () => {
        const listed = await (await fetch(`${s.url}/v1/steering/vectors`)).json() as {data: {name: string, fits?: boolean, best_auroc?: number}[]};
        expect(listed.data.map((v) => v.name)).toEqual(expect.arrayContaining(["sue", "tim", "happy", "dog"]));
        expect(listed.data.find((v) => v.name === "sue")).toMatchObject({fits: true, best_auroc: 1});
    });

    it("answers bad input with a 4xx in OpenAI's error shape, one clear message each", async () => {
        const url = `${s.url}/v1/completions`;
        const base = {model: "stories260K", prompt: "Once upon a time", max_tokens: 4};
        const cases: [unknown, number, RegExp, string | null][] = [
            ['{"model": "stories260K", "prompt": ', 400, /not valid JSON/, "invalid_json"],
            [{...base, temperature: "0.5"}, 400, /^temperature must be a number$/, "invalid_value"],
            [{...base, max_tokens: 1.5}, 400, /^max_tokens must be a whole number$/, "invalid_value"],
            [{...base, max_tokens: 5000}, 400, /above this server's limit of 2000/, "max_tokens_too_large"],
            [{...base, prompt: 42}, 400, /^prompt must be a string/, "invalid_value"],
            [{prompt: "x"}, 400, /needs the field "model"/, "invalid_value"],
            [{...base, model: "gpt-4o"}, 404, /"gpt-4o" does not exist/, "model_not_found"],
            [{...base, steering: {vectors: [{name: "nope"}]}}, 400, /No vector named "nope"/, "vector_not_found"],
            [{...base, steering: {vectors: [{name: "../../etc/passwd"}]}}, 400, /must be a vector name/, "invalid_value"],
            [{...base, steering: {vectors: [{name: "sue.gguf"}]}}, 400, /without \.gguf/, null],
            [{...base, steering: {vectors: [{name: "sue", coeficient: 1}]}}, 400, /unknown field "coeficient"/, "invalid_value"],
            [{...base, steering: {vectors: [{name: "sue", coefficient: 5000}]}}, 400, /coefficient must be <= 1000/, "invalid_value"],
            [{...base, steering: {vectors: [{name: "sue", coefficient: 1, sigma: 0.1}]}}, 400, /both a coefficient and a sigma/, null],
            [{...base, steering: {vectors: [{name: "sue", layers: [3, 9]}]}}, 400, /Invalid layer range 3-9/, null],
            [{...base, steering: {preset: "nope"}}, 400, /No preset named "nope"/, "preset_not_found"],
            [{...base, steering: true}, 400, /steering must be false/, "invalid_value"],
            [{...base, steering: "sue"}, 400, /steering must be false \(unsteered\), or an object/, "invalid_value"],
            [{...base, steering: {policy: "prompt"}}, 400, /steering.policy must be one of "all", "reply"/, "invalid_value"],
            [{...base, stop: ["a", "b", "c", "d", "e"]}, 400, /^stop must be a string or an array of at most 4/, "invalid_value"],
            [{...base, logprobs: 6}, 400, /^logprobs must be <= 5/, "invalid_value"],
            [{...base, echo: true}, 400, /^echo is not supported/, "unsupported_parameter"],
            [{...base, suffix: "The end"}, 400, /^suffix is not supported/, "unsupported_parameter"],
            [{...base, logit_bias: {"50256": -100}}, 400, /^logit_bias is not supported/, "unsupported_parameter"],
            [{...base, frequency_penalty: 0.5}, 400, /^frequency_penalty is not supported/, "unsupported_parameter"],
            [{...base, n: 2}, 400, /^n must be 1/, "invalid_value"],
            [{...base, stop: ""}, 400, /^stop must not be empty/, "invalid_value"],
            [{...base, prompt: "x".repeat(20_000)}, 400, /context holds 2048/, "context_length_exceeded"]
        ];
        for (const [body, status, message, code] of cases) {
            const result = await post(url, body);
            expect(result.status, JSON.stringify(body).slice(0, 120)).toBe(status);
            expect(Object.keys(result.body.error!).sort()).toEqual(["code", "message", "param", "type"]);
            expect(result.body.error!.message).toMatch(message);
            expect(result.body.error!.message).not.toContain("\n");
            expect(result.body.error!.code).toBe(code);
        }
        const tooLarge = await post(url, {...base, prompt: "x".repeat(1_100_000)});
        expect(tooLarge.status).toBe(413);
        expect(tooLarge.body.error!.code).toBe("request_too_large");
        const unknown = await fetch(`${s.url}/v1/embeddings`, {method: "POST"});
        expect(unknown.status).toBe(404);
        expect(await unknown.json()).toMatchObject({error: {code: "unknown_route"}});
        const text = await fetch(url, {method: "POST", headers: {"Content-Type": "text/plain"}, body: "hello"});
        expect(text.status).toBe(415);
        // the server is still there, and well
        expect((await complete({})).choices[0]!.text.length).toBeGreaterThan(0);
    });

    it("a client that goes away mid-stream stops its reply; the next request is served as if alone", async () => {
        const alone = (await complete({steering: SUE})).choices[0]!.text;
        const controller = new AbortController();
        const stream = await s.client.completions.create({model: "stories260K", prompt: "Once upon a time", max_tokens: 2000, temperature: 0,
            stream: true}, {signal: controller.signal});
        let chunks = 0;
        // the client ends its iteration quietly on its own abort
        for await (const chunk of stream) {
            void chunk;
            if (++chunks === 3) controller.abort();
        }
        expect(chunks).toBeGreaterThanOrEqual(3); // the client may yield what it had read already
        expect((await complete({steering: SUE})).choices[0]!.text).toBe(alone);
        const stopped = s.log.find((line) => line.includes("the client went away"));
        expect(stopped).toBeDefined();
        expect(Number(/stopped after (\d+) tokens/.exec(stopped!)![1])).toBeLessThan(2000);
    });

    it("load: 8 concurrent clients, 3 steerings, 104 greedy requests, every reply equal to the same request alone", async () => {
        const steerings: Steering[] = [false, SUE, TIM];
        const prompts = ["Once upon a time", "One day, a boy", "The sun was warm and", "Lily and her mom"];
        const requests = prompts.flatMap((prompt) => steerings.map((steering) => ({prompt, steering})));
        const key = (r: {prompt: string, steering: Steering}) => JSON.stringify(r);
        const ask = (r: {prompt: string, steering: Steering}, stream: boolean) => stream
            ? (async () => {
                const chunks = await s.client.completions.create(withExtras({model: "stories260K", prompt: r.prompt, max_tokens: 6,
                    temperature: 0, stream: true as const}, {steering: r.steering}));
                let text = "";
                for await (const chunk of chunks) text += chunk.choices[0]?.text ?? "";
                return text;
            })()
            : complete({steering: r.steering}, {prompt: r.prompt, max_tokens: 6}).then((c) => c.choices[0]!.text);
        const alone = new Map<string, string>();
        for (const r of requests) alone.set(key(r), await ask(r, false));
        // the three steerings give three different texts for most prompts: the load does exercise the switch
        expect(new Set(requests.map((r) => alone.get(key(r)))).size).toBeGreaterThanOrEqual(8);
        global.gc?.();
        const rssBefore = process.memoryUsage().rss;
        const sharedBefore = s.server.model.sharedDecodes;
        const logFrom = s.log.length;
        const started = performance.now();
        const mismatches: string[] = [];
        let served = 0;
        await Promise.all(Array.from({length: 8}, async (_, client) => {
            for (let i = 0; i < 13; i++) {
                const r = requests[(client * 5 + i) % requests.length]!;
                const text = await ask(r, (client + i) % 2 === 0);
                served++;
                if (text !== alone.get(key(r))) mismatches.push(`${key(r)}: ${JSON.stringify(text)} alone ${JSON.stringify(alone.get(key(r)))}`);
            }
        }));
        const seconds = (performance.now() - started) / 1000;
        global.gc?.();
        const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 1e6;
        console.log(`serve load: ${served} requests in ${seconds.toFixed(2)} s (${(served / seconds).toFixed(1)} req/s), rss ${rssGrowthMb.toFixed(1)} MB from the start`);
        expect(mismatches).toEqual([]);
        expect(served).toBe(104);
        expect(rssGrowthMb).toBeLessThan(100);
        // requests with equal steering shared decodes; every sequence is free again and nothing waits or runs
        expect(s.server.model.batchWidth).toBe(4);
        expect(s.server.model.sharedDecodes - sharedBefore).toBeGreaterThan(0);
        expect(s.server.model.liveSequences).toBe(0);
        expect(s.log.slice(logFrom).filter((line) => !/ tokens .* s (length|stop) · /.test(line))).toEqual([]);
    });
});

describe("serve: batches of requests with equal steering", () => {
    let s: Served;
    let single: Served;
    beforeAll(async () => {
        s = await serve(storiesModelPath, {maxTokens: 2000});
        single = await serve(storiesModelPath, {maxTokens: 2000, parallel: 1});
    });
    const prompts = ["Once upon a time", "One day, a boy", "The sun was warm and", "Lily and her mom"];
    const text = (on: Served, prompt: string, steering: Steering, maxTokens = 32) => on.client.completions.create(
        withExtras({model: "stories260K", prompt, max_tokens: maxTokens, temperature: 0}, {steering})).then((c) => c.choices[0]!.text);

    it("decodes concurrent requests with equal steering together, each reply the one a server without batches gives", async () => {
        expect(s.server.model.batchWidth).toBe(4);
        expect(single.server.model.batchWidth).toBe(1);
        for (const steering of [TIM, false] as Steering[]) {
            const alone: string[] = [];
            for (const prompt of prompts) alone.push(await text(single, prompt, steering));
            const before = s.server.model.sharedDecodes;
            const together = await Promise.all(prompts.map((prompt) => text(s, prompt, steering)));
            expect(together).toEqual(alone);
            // four requests of 32 tokens each, started together: most of their steps carry more than one of them
            expect(s.server.model.sharedDecodes - before).toBeGreaterThanOrEqual(16);
        }
        expect(new Set(await Promise.all(prompts.map((p) => text(s, p, TIM)))).size).toBe(prompts.length);
        expect(s.server.model.liveSequences).toBe(0);
    });

    it("a client that goes away stops its own reply only; the others in its batch end as if alone", async () => {
        const alone = await Promise.all(prompts.slice(1).map((prompt) => text(single, prompt, SUE, 48)));
        const controller = new AbortController();
        const logFrom = s.log.length;
        const stream = await s.client.completions.create(withExtras({model: "stories260K", prompt: prompts[0]!, max_tokens: 2000,
            temperature: 0, stream: true as const}, {steering: SUE}), {signal: controller.signal});
        const others = Promise.all(prompts.slice(1).map((prompt) => text(s, prompt, SUE, 48)));
        let chunks = 0;
        for await (const chunk of stream) {
            void chunk;
            if (++chunks === 3) controller.abort();
        }
        expect(await others).toEqual(alone);
        // the stop is logged once the server has seen the connection close
        await expect.poll(() => s.log.slice(logFrom).find((line) => line.includes("the client went away"))).toBeDefined();
        const stopped = s.log.slice(logFrom).find((line) => line.includes("the client went away"))!;
        expect(Number(/stopped after (\d+) tokens/.exec(stopped)![1])).toBeLessThan(2000);
        await expect.poll(() => s.server.model.liveSequences).toBe(0);
        expect(await text(s, prompts[0]!, SUE)).toBe(await text(single, prompts[0]!, SUE));
    });
});

describe("serve: chat completions (the model's template)", () => {
    let s: Served;
    beforeAll(async () => { s = await serve(writeChatModel(storiesModelPath, "qa", tempDir()), {maxTokens: 64}); });

    const chat = (extras: Extras, messages: OpenAI.ChatCompletionMessageParam[] = [{role: "user", content: "Tell me a story about a dog"}]) =>
        s.client.chat.completions.create(withExtras({model: "stories260K-qa", messages, max_tokens: 24, temperature: 0}, extras));

    it("answers, steered per request, streaming the same text", async () => {
        const plain = await chat({});
        const tim = await chat({steering: TIM});
        expect(plain.choices[0]!.message).toMatchObject({role: "assistant"});
        // made with the model's own template: the listing says so, and the response needs not
        const models = await (await fetch(`${s.url}/v1/models`)).json() as {data: {chat_format: unknown}[]};
        expect(models.data[0]!.chat_format).toEqual({source: "template", name: "jinja"});
        expect(plain).not.toHaveProperty("chat_format");
        expect(plain.choices[0]!.message.content!.length).toBeGreaterThan(0);
        expect(tim.choices[0]!.message.content).not.toBe(plain.choices[0]!.message.content);
        expect(added(tim).steering.description).toBe("tim +0.75");
        const stream = await s.client.chat.completions.create(withExtras({model: "stories260K-qa", max_tokens: 24, temperature: 0, stream: true as const,
            messages: [{role: "user" as const, content: "Tell me a story about a dog"}]}, {steering: TIM}));
        const chunks: OpenAI.ChatCompletionChunk[] = [];
        for await (const chunk of stream) chunks.push(chunk);
        expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
        expect(added(chunks[0]!).steering.description).toBe("tim +0.75");
        expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(tim.choices[0]!.message.content);
        expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe(tim.choices[0]!.finish_reason);
    });

    it("gives logprobs in OpenAI's chat shape, streaming and not", async () => {
        const asked = {model: "stories260K-qa", messages: [{role: "user" as const, content: "Tell me a story about a dog"}], max_tokens: 24,
            temperature: 0, logprobs: true, top_logprobs: 3};
        const result = await s.client.chat.completions.create(asked);
        const content = result.choices[0]!.logprobs!.content!;
        expect(content.map((c) => c.token).join("")).toBe(result.choices[0]!.message.content);
        for (const c of content) {
            expect(Object.keys(c).sort()).toEqual(["bytes", "logprob", "token", "top_logprobs"]);
            expect(c.bytes).toEqual([...Buffer.from(c.token, "utf8")]);
            expect(c.logprob).toBeLessThanOrEqual(0);
            expect(c.top_logprobs).toHaveLength(3);
            expect(c.top_logprobs[0]).toEqual({token: c.token, logprob: c.logprob, bytes: c.bytes});
            expect(c.top_logprobs.reduce((sum, t) => sum + Math.exp(t.logprob), 0)).toBeLessThanOrEqual(1 + 1e-6);
        }
        const stream = await s.client.chat.completions.create({...asked, stream: true});
        const streamed: typeof content = [];
        for await (const chunk of stream) {
            const choice = chunk.choices[0];
            if (choice?.logprobs?.content == null) continue;
            expect(choice.logprobs.content.map((c) => c.token).join("")).toBe(choice.delta.content);
            streamed.push(...choice.logprobs.content);
        }
        expect(streamed).toEqual(content);
        // logprobs without top_logprobs: the chosen tokens, no alternatives; top_logprobs alone is refused, as OpenAI does
        const chosen = await s.client.chat.completions.create({...asked, top_logprobs: undefined});
        expect(chosen.choices[0]!.logprobs!.content!.map((c) => c.top_logprobs)).toEqual(content.map(() => []));
        const alone = await post(`${s.url}/v1/chat/completions`, {...asked, logprobs: undefined});
        expect(alone.status).toBe(400);
        expect(alone.body.error).toMatchObject({param: "top_logprobs"});
    });

    it("names a special token among the alternatives by its text", async () => {
        // the beginning-of-sequence token is among some steps' top 20 on this reply: it reads "<s>", not "" as in a text
        const result = await s.client.chat.completions.create({model: "stories260K-qa", max_tokens: 64, temperature: 0,
            messages: [{role: "user", content: "Tell me a story about a dog"}], logprobs: true, top_logprobs: 20});
        const names = result.choices[0]!.logprobs!.content!.flatMap((c) => c.top_logprobs.map((t) => t.token));
        expect(names).toContain("<s>");
        expect(names).not.toContain("");
    });

    it("refuses the OpenAI fields it cannot honour, naming them, and takes their neutral values", async () => {
        const base = {model: "stories260K-qa", messages: [{role: "user", content: "Hi"}], max_tokens: 2};
        const refused: [object, string][] = [
            [{tools: [{type: "function", function: {name: "f"}}]}, "tools"], [{tool_choice: "required"}, "tool_choice"],
            [{response_format: {type: "json_object"}}, "response_format"], [{logit_bias: {"1": 5}}, "logit_bias"],
            [{presence_penalty: 1}, "presence_penalty"], [{audio: {voice: "alloy", format: "mp3"}}, "audio"],
            [{modalities: ["text", "audio"]}, "modalities"], [{prediction: {type: "content", content: "x"}}, "prediction"],
            [{reasoning_effort: "high"}, "reasoning_effort"], [{store: true}, "store"], [{functions: [{name: "f"}]}, "functions"],
            [{web_search_options: {}, verbosity: "low"}, "verbosity"]
        ];
        for (const [extra, field] of refused) {
            const result = await post(`${s.url}/v1/chat/completions`, {...base, ...extra});
            expect(result.status, field).toBe(400);
            expect(result.body.error).toMatchObject({param: field, code: "unsupported_parameter"});
            expect(result.body.error!.message.startsWith(`${field} `)).toBe(true);
        }
        const neutral = await post(`${s.url}/v1/chat/completions`, {...base, tools: [], tool_choice: "none", logit_bias: {}, presence_penalty: 0,
            frequency_penalty: null, response_format: {type: "text"}, modalities: ["text"], store: false, metadata: {k: "v"},
            parallel_tool_calls: true, service_tier: "auto", user: "u", prompt_cache_key: "k", n: 1, logprobs: false});
        expect(neutral.status).toBe(200);
    });

    it("reads text parts, and refuses other parts and roles in one line", async () => {
        const parts = await chat({}, [{role: "user", content: [{type: "text", text: "Tell me a story "}, {type: "text", text: "about a dog"}]}]);
        expect(parts.choices[0]!.message.content).toBe((await chat({})).choices[0]!.message.content);
        const url = `${s.url}/v1/chat/completions`;
        const image = await post(url, {model: "stories260K-qa", messages: [{role: "user", content: [{type: "image_url", image_url: {url: "x"}}]}]});
        expect(image.status).toBe(400);
        expect(image.body.error!.message).toMatch(/^messages\[0\]\.content\[0\] must be a text part/);
        const tool = await post(url, {model: "stories260K-qa", messages: [{role: "tool", content: "x"}]});
        expect(tool.body.error!.message).toBe("messages[0].role must be one of \"system\", \"developer\", \"user\", \"assistant\"");
        expect((await post(url, {model: "stories260K-qa", messages: []})).body.error!.message).toMatch(/^messages must NOT have fewer than 1 items/);
    });

    it("renders the whole conversation a request brings, and no other client's", async () => {
        const first = await chat({});
        const messages: OpenAI.ChatCompletionMessageParam[] = [{role: "system", content: "You tell stories."},
            {role: "user", content: "Tell me a story about a dog"}, {role: "assistant", content: first.choices[0]!.message.content!},
            {role: "user", content: "And then?"}];
        const followUp = await chat({}, messages);
        expect(followUp.usage!.prompt_tokens).toBeGreaterThan(first.usage!.prompt_tokens + first.usage!.completion_tokens);
        // a request after it starts from nothing: the same as the first
        expect((await chat({})).choices[0]!.message.content).toBe(first.choices[0]!.message.content);
        expect((await chat({}, [{role: "developer", content: "You tell stories."}, {role: "user", content: "Tell me a story about a dog"}]))
            .usage!.prompt_tokens).toBe((await chat({}, messages.slice(0, 2))).usage!.prompt_tokens);
    });
});

describe("serve: a template that refuses a conversation, a model without one", () => {
    it("answers 400 where Llama 2's template raises on roles that do not alternate", async () => {
        const s = await serve(writeChatModel(storiesModelPath, "llama2", tempDir()));
        const refused = await post(`${s.url}/v1/chat/completions`, {model: "stories260K-llama2", max_tokens: 4,
            messages: [{role: "user", content: "Hi"}, {role: "user", content: "Hi again"}]});
        expect(refused.status).toBe(400);
        expect(refused.body.error).toMatchObject({code: "template_error", param: "messages"});
        expect(refused.body.error!.message).toMatch(/refused these messages: .*alternate/);
        const fine = await s.client.chat.completions.create({model: "stories260K-llama2", max_tokens: 4, temperature: 0,
            messages: [{role: "user", content: "Hi"}]});
        expect(fine.choices).toHaveLength(1);
    });

    it("chats on a model without a chat template as `steer-chat chat` does (node-llama-cpp's wrapper), and says so", async () => {
        const s = await serve(storiesModelPath);
        type Format = {source: string, name: string, note?: string};
        const models = await (await fetch(`${s.url}/v1/models`)).json() as {data: {chat: boolean, chat_format: Format}[]};
        expect(models.data[0]!.chat).toBe(true);
        expect(models.data[0]!.chat_format).toMatchObject({source: "fallback", name: "Llama2Chat"});
        expect(models.data[0]!.chat_format.note).toMatch(/no chat template/);
        const answer = await s.client.chat.completions.create({model: "stories260K", messages: [{role: "user", content: "Once upon a time"}],
            max_tokens: 24, temperature: 0});
        expect((answer as unknown as {chat_format: Format}).chat_format).toMatchObject({source: "fallback", name: "Llama2Chat"});
        // the chat's own reply to the same message, on a model of its own
        const other = await loadModel(storiesModelPath);
        try {
            const conversation = createConversation(other, {mode: "chat", sampling: {temperature: 0, maxTokens: 24}});
            const reply = await conversation.send("Once upon a time");
            conversation.dispose();
            expect(answer.choices[0]!.message.content).toBe(reply.text);
            expect(answer.usage!.completion_tokens).toBe(reply.tokenCount);
        } finally {
            await other.dispose();
        }
    });
});

describe("serve: the default steering from the flags", () => {
    it("steers requests without a steering field with --vector, and says so", async () => {
        const s = await serve(storiesModelPath, {vectors: ["tim:0.75"]});
        const models = await s.client.models.list();
        expect((models.data[0] as unknown as Added).steering).toMatchObject({description: "tim +0.75", source: "default"});
        const params = {model: "stories260K", prompt: "Once upon a time", max_tokens: 24, temperature: 0};
        const byDefault = await s.client.completions.create(params);
        expect(added(byDefault).steering.source).toBe("default");
        const text = async (steering: Steering) => (await s.client.completions.create(withExtras(params, {steering}))).choices[0]!.text;
        expect(byDefault.choices[0]!.text).toBe(await text(TIM));
        expect(byDefault.choices[0]!.text).not.toBe(await text(false));
    });
});

describe("serve: limits and keys", () => {
    it("refuses requests past the waiting places with 429", async () => {
        const s = await serve(storiesModelPath, {maxTokens: 2000, queue: 1});
        const controller = new AbortController();
        const running = await s.client.completions.create({model: "stories260K", prompt: "Once upon a time", max_tokens: 2000, temperature: 0,
            stream: true}, {signal: controller.signal});
        const iterator = running[Symbol.asyncIterator]();
        await iterator.next(); // it runs
        // other steering than the running request's: they cannot join its batch, and wait
        const waiting = s.client.completions.create(withExtras({model: "stories260K", prompt: "Once", max_tokens: 2, temperature: 0}, {steering: TIM}));
        await vi.waitFor(() => expect(s.server.model.waitingCount).toBe(1)); // it waits: the one waiting place is taken
        const refused = await post(`${s.url}/v1/completions`, {model: "stories260K", prompt: "Once", max_tokens: 2, steering: TIM});
        expect(refused.status).toBe(429);
        expect(refused.body.error).toMatchObject({code: "queue_full", type: "rate_limit_error"});
        controller.abort();
        await iterator.return?.();
        expect((await waiting).choices[0]!.text.length).toBeGreaterThan(0);
    });

    it("needs the API key on every route but /health when it has one", async () => {
        const s = await serve(storiesModelPath, {apiKey: "sesame"});
        const body = {model: "stories260K", prompt: "Once", max_tokens: 2};
        const missing = await post(`${s.url}/v1/completions`, body);
        expect(missing.status).toBe(401);
        expect(missing.body.error).toMatchObject({code: "invalid_api_key", type: "invalid_request_error"});
        expect((await post(`${s.url}/v1/completions`, body, {Authorization: "Bearer wrong"})).status).toBe(401);
        expect((await fetch(`${s.url}/v1/models`)).status).toBe(401);
        expect((await fetch(`${s.url}/health`)).status).toBe(200);
        expect((await post(`${s.url}/v1/completions`, body, {Authorization: "Bearer sesame"})).status).toBe(200);
        const completion = await s.client.completions.create(body);
        expect(completion.choices[0]!.text.length).toBeGreaterThan(0);
        const wrong = new OpenAI({baseURL: `${s.url}/v1`, apiKey: "nope", maxRetries: 0});
        await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
        // with a key, any host name is answered (the key is the protection)
        expect((await s.server.app.inject({url: "/v1/models", headers: {host: "example.com", authorization: "Bearer sesame"}})).statusCode).toBe(200);
    });

    it("without a key, answers requests addressed to this machine's names only (no DNS rebinding)", async () => {
        const s = started[0]!;
        for (const host of ["localhost:8080", "127.0.0.1", "[::1]:8080"])
            expect((await s.server.app.inject({url: "/v1/models", headers: {host}})).statusCode, host).toBe(200);
        const rebound = await s.server.app.inject({url: "/v1/models", headers: {host: "attacker.example:8080"}});
        expect(rebound.statusCode).toBe(403);
        expect(rebound.json()).toMatchObject({error: {code: "forbidden_host"}});
    });
});
