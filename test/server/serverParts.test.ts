/** The server's pure parts: stop strings over chunks, the one-at-a-time queue, schema messages, error shapes, hosts,
 * which tokens a response's logprobs report and their shapes. */
import {describe, expect, it} from "vitest";
import {StopScanner} from "../../src/server/stopScanner.js";
import {RequestQueue} from "../../src/server/requestQueue.js";
import {validationMessage, type SchemaError} from "../../src/server/schemas.js";
import {ApiError, BadRequestError, ClientGoneError, InternalError, QueueFullError, ShuttingDownError, toApiError} from "../../src/server/apiErrors.js";
import {isLoopback} from "../../src/server/app.js";
import {chatLogprobs, completionLogprobs, LogprobTracker, tokenText, type LogprobEntry} from "../../src/server/tokenLogprobs.js";
import {UserFacingError, VectorNotFoundError} from "../../src/errors.js";
import {PromptTooLongError} from "../../src/engine/conversationTypes.js";

function scan(stops: string[], chunks: string[]) {
    const scanner = new StopScanner(stops);
    const shown = chunks.map((c) => scanner.push(c));
    if (!scanner.stopped) shown.push(scanner.flush());
    return {shown, text: scanner.text, stopped: scanner.stopped};
}

describe("StopScanner", () => {
    it("cuts the text before the first stop string, which is not part of it", () => {
        expect(scan(["."], ["Once upon a time. Then", " more."])).toEqual({shown: ["Once upon a time", ""], text: "Once upon a time", stopped: true});
    });

    it("finds a stop string split over chunks, holding back only what could start one", () => {
        const result = scan(["Lily"], ["named L", "i", "ly. She"]);
        expect(result.text).toBe("named ");
        expect(result.shown).toEqual(["named ", "", ""]);
        expect(result.stopped).toBe(true);
    });

    it("lets held-back text out when the stop string does not come", () => {
        const result = scan(["Lily"], ["named Li", "nda and"]);
        expect(result.shown.join("")).toBe("named Linda and");
        expect(result.shown[0]).toBe("named ");
        expect(result.stopped).toBe(false);
    });

    it("takes the earliest of several stop strings, and lets everything out with none", () => {
        expect(scan(["girl", " was"], ["there was a little girl"]).text).toBe("there");
        expect(scan([], ["a", "b"]).shown).toEqual(["a", "b", ""]);
    });
});

describe("RequestQueue", () => {
    const deferred = () => {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => { resolve = r; });
        return {promise, resolve};
    };

    it("runs jobs with equal keys together, up to its width; other keys wait for the batch to drain", async () => {
        const ended: string[] = [];
        const events: string[] = [];
        const queue = new RequestQueue(10, {width: 2, endBatch: async (key) => { ended.push(key); events.push(`end ${key}`); }});
        const gates = new Map<string, ReturnType<typeof deferred>>();
        const job = (name: string, key?: string) => {
            const gate = deferred();
            gates.set(name, gate);
            return queue.run(async () => {
                events.push(`start ${name}`);
                await gate.promise;
                events.push(`done ${name}`);
                return name;
            }, undefined, key);
        };
        const a1 = job("a1", "A");
        const a2 = job("a2", "A");
        const b1 = job("b1", "B");
        const a3 = job("a3", "A"); // waits: the batch is full; then it is taken with the batch's key before b1
        const alone = job("alone");
        await Promise.resolve();
        expect(queue.runningCount).toBe(2);
        expect(queue.waitingCount).toBe(3);
        expect(events).toEqual(["start a1", "start a2"]);
        gates.get("a1")!.resolve();
        await a1;
        // a3 is behind b1 in line: the batch does not take it while b1 waits, it drains instead
        expect(queue.runningCount).toBe(1);
        gates.get("a2")!.resolve();
        await a2;
        await new Promise<void>((r) => setImmediate(r));
        expect(ended).toEqual(["A"]);
        // the next batch is b1's: a3 (other key) and the lone job wait
        expect(events.slice(-2)).toEqual(["end A", "start b1"]);
        expect(queue.runningCount).toBe(1);
        const b2 = job("b2", "B"); // b1 runs, but others wait: b2 waits its turn behind them
        expect(queue.waitingCount).toBe(3);
        gates.get("b1")!.resolve();
        await b1;
        await new Promise<void>((r) => setImmediate(r));
        expect(ended).toEqual(["A", "B"]);
        expect(events.at(-1)).toBe("start a3");
        gates.get("a3")!.resolve();
        await a3;
        await new Promise<void>((r) => setImmediate(r));
        expect(events.at(-1)).toBe("start alone");
        expect(queue.runningCount).toBe(1);
        gates.get("alone")!.resolve();
        await alone;
        expect(events.at(-1)).toBe("start b2");
        // b2 runs as a batch of its own, and a job with its key joins it at once while nothing waits
        const b3 = job("b3", "B");
        await Promise.resolve();
        expect(queue.runningCount).toBe(2);
        expect(events.at(-1)).toBe("start b3");
        gates.get("b2")!.resolve();
        gates.get("b3")!.resolve();
        const idle = queue.whenIdle();
        expect(await Promise.all([b2, b3])).toEqual(["b2", "b3"]);
        await idle; // once the batch's end has run
        expect(ended).toEqual(["A", "B", "A", "B"]);
        expect(queue.busy).toBe(false);
    });

    it("runs one job at a time, in arrival order", async () => {
        const queue = new RequestQueue(10);
        const order: string[] = [];
        let running = 0;
        const job = (name: string) => queue.run(async () => {
            running++;
            expect(running).toBe(1);
            order.push(name);
            await new Promise((resolve) => setImmediate(resolve)); // a job that yields: another would run now if the queue let it
            running--;
            return name;
        });
        expect(await Promise.all(["a", "b", "c", "d"].map(job))).toEqual(["a", "b", "c", "d"]);
        expect(order).toEqual(["a", "b", "c", "d"]);
        // a job arriving as the last one ends still waits its turn (the slot is handed over, never left free)
        const first = deferred();
        const one = queue.run(() => first.promise.then(() => "one"));
        const two = queue.run(async () => { running++; expect(running).toBe(1); running--; return "two"; });
        first.resolve();
        const three = queue.run(async () => { running++; expect(running).toBe(1); running--; return "three"; });
        expect(await Promise.all([one, two, three])).toEqual(["one", "two", "three"]);
    });

    it("refuses a request when the waiting places are taken", async () => {
        const queue = new RequestQueue(1);
        const gate = deferred();
        const running = queue.run(() => gate.promise);
        const waiting = queue.run(async () => "waited");
        await expect(queue.run(async () => "refused")).rejects.toBeInstanceOf(QueueFullError);
        gate.resolve();
        await running;
        expect(await waiting).toBe("waited");
    });

    it("drops a waiting request whose client went away, without running it", async () => {
        const queue = new RequestQueue(4);
        const gate = deferred();
        const running = queue.run(() => gate.promise);
        const client = new AbortController();
        let ran = false;
        const dropped = queue.run(async () => { ran = true; }, client.signal);
        client.abort();
        await expect(dropped).rejects.toBeInstanceOf(ClientGoneError);
        expect(queue.waitingCount).toBe(0);
        gate.resolve();
        await running;
        expect(await queue.run(async () => "next")).toBe("next");
        expect(ran).toBe(false);
    });

    it("refuses what waits and what comes once closed", async () => {
        const queue = new RequestQueue(4);
        const gate = deferred();
        const running = queue.run(() => gate.promise.then(() => "finished"));
        const waiting = queue.run(async () => "never");
        queue.close();
        await expect(waiting).rejects.toBeInstanceOf(ShuttingDownError);
        await expect(queue.run(async () => "later")).rejects.toBeInstanceOf(ShuttingDownError);
        gate.resolve();
        expect(await running).toBe("finished");
    });
});

describe("schema messages", () => {
    it("names the deepest field, with its description or its type in words", () => {
        const errors: SchemaError[] = [
            {instancePath: "/steering", keyword: "type", params: {type: ["object", "boolean"]}},
            {instancePath: "/steering/vectors/0/coefficient", keyword: "type", params: {type: "number"}, message: "must be number"}
        ];
        expect(validationMessage(errors)).toEqual({message: "steering.vectors[0].coefficient must be a number", param: "steering.vectors[0].coefficient"});
        expect(validationMessage([{instancePath: "/temperature", keyword: "type", params: {type: ["number", "null"]}}]).message)
            .toBe("temperature must be a number");
        expect(validationMessage([{instancePath: "/steering/vectors/0/name", keyword: "pattern", params: {},
            parentSchema: {description: "a vector name"}}]).message).toBe("steering.vectors[0].name must be a vector name");
    });

    it("says which field is unknown or missing", () => {
        expect(validationMessage([{instancePath: "/steering/vectors/1", keyword: "additionalProperties", params: {additionalProperty: "coeficient"}}]).message)
            .toBe("steering.vectors[1] has an unknown field \"coeficient\"");
        expect(validationMessage([{instancePath: "", keyword: "required", params: {missingProperty: "model"}}]))
            .toEqual({message: "the body needs the field \"model\"", param: "model"});
        expect(validationMessage([{instancePath: "/steering/policy", keyword: "enum", params: {allowedValues: ["all", "reply"]}}]).message)
            .toBe("steering.policy must be one of \"all\", \"reply\"");
    });
});

describe("API errors", () => {
    it("are OpenAI's shape, with the status of their class", () => {
        expect(new BadRequestError("bad", {param: "x", code: "c"}).body()).toEqual({error: {message: "bad", type: "invalid_request_error", param: "x", code: "c"}});
        expect(new QueueFullError(3).status).toBe(429);
        expect(new ShuttingDownError().status).toBe(503);
    });

    it("turn steer-chat's own errors into 400s a client can read, without the server's folders", () => {
        const notFound = toApiError(new VectorNotFoundError("nope", ["/home/secret/vectors"]));
        expect(notFound.status).toBe(400);
        expect(notFound.apiCode).toBe("vector_not_found");
        expect(notFound.message).not.toContain("/home/secret");
        expect(toApiError(new PromptTooLongError(5000, 2048, false)).apiCode).toBe("context_length_exceeded");
        expect(toApiError(new UserFacingError("Coefficient 5000 for sue is out of range")).status).toBe(400);
    });

    it("make anything else a 500 that says nothing of the bug", () => {
        const bug = toApiError(new TypeError("x is undefined"));
        expect(bug).toBeInstanceOf(InternalError);
        expect(bug.message).not.toContain("undefined");
        const disk = Object.assign(new Error("ENOSPC: no space left"), {code: "ENOSPC", syscall: "write"});
        expect(toApiError(disk).status).toBe(500);
    });

    it("keep fastify's body errors' statuses", () => {
        const tooLarge = Object.assign(new RangeError("Request body is too large"), {statusCode: 413, code: "FST_ERR_CTP_BODY_TOO_LARGE"});
        expect(toApiError(tooLarge)).toBeInstanceOf(ApiError);
        expect(toApiError(tooLarge).status).toBe(413);
        const badJson = Object.assign(new SyntaxError("Unexpected end of JSON input"), {statusCode: 400});
        expect(toApiError(badJson).body().error).toMatchObject({code: "invalid_json", message: "The request body is not valid JSON: Unexpected end of JSON input"});
    });
});

describe("isLoopback", () => {
    it("takes this machine's addresses only", () => {
        for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"]) expect(isLoopback(host), host).toBe(true);
        for (const host of ["0.0.0.0", "::", "192.168.1.2", "10.0.0.1", "example.com", "127.0.0.1.example.com"]) expect(isLoopback(host), host).toBe(false);
    });
});

describe("LogprobTracker", () => {
    // "Hi", " there" (held back by the stop scanner), an empty piece (a character's first byte), "é!" completing it
    const tokens = [{id: 1, textEnd: 2}, {id: 2, textEnd: 8}, {id: 3, textEnd: 8}, {id: 4, textEnd: 10}];

    it("reports each token once its text is wholly shown, with where its text starts", () => {
        const tracker = new LogprobTracker<{id: number, textEnd: number}>();
        for (const t of tokens) tracker.push(t);
        expect(tracker.shown(1)).toEqual([]);
        expect(tracker.shown(2).map((e) => [e.entry.id, e.offset])).toEqual([[1, 0]]);
        expect(tracker.shown(9).map((e) => [e.entry.id, e.offset])).toEqual([[2, 2], [3, 8]]);
        const {kept, rest} = tracker.finish(10, 10);
        expect(kept.map((e) => e.entry.id)).toEqual([1, 2, 3, 4]);
        expect(rest.map((e) => [e.entry.id, e.offset])).toEqual([[4, 8]]);
    });

    it("at a stop string keeps the tokens whose text begins before the cut, and those without text up to it", () => {
        const cutInside = new LogprobTracker<{id: number, textEnd: number}>();
        for (const t of tokens) cutInside.push(t);
        expect(cutInside.shown(2).length).toBe(1);
        // the reply ends at 5: " there" begins before it, the tokens after do not
        const {kept, rest} = cutInside.finish(10, 5);
        expect(kept.map((e) => e.entry.id)).toEqual([1, 2]);
        expect(rest.map((e) => e.entry.id)).toEqual([2]);
        const cutAfter = new LogprobTracker<{id: number, textEnd: number}>();
        for (const t of tokens) cutAfter.push(t);
        expect(cutAfter.finish(10, 8).kept.map((e) => e.entry.id)).toEqual([1, 2, 3]);
    });

    it("gives the text the detokenizer held to the end to the last token", () => {
        const tracker = new LogprobTracker<{id: number, textEnd: number}>();
        tracker.push({id: 1, textEnd: 2});
        tracker.push({id: 2, textEnd: 2});
        expect(tracker.finish(4, 4).kept.map((e) => [e.entry.id, e.entry.textEnd])).toEqual([[1, 2], [2, 4]]);
    });
});

describe("logprobs shapes", () => {
    const entries: LogprobEntry[] = [
        {token: " a", bytes: [32, 97], logprob: -0.5, offset: 0,
            top: [{token: " a", bytes: [32, 97], logprob: -0.5}, {token: " b", bytes: [32, 98], logprob: -1}, {token: " b", bytes: [32, 98], logprob: -2}]},
        {token: "bytes:\\xe2", bytes: [0xe2], logprob: -Infinity, offset: 2, top: []}
    ];

    it("chat: content entries with bytes and top_logprobs; a log-probability that underflowed is -9999", () => {
        expect(chatLogprobs(entries)).toEqual({refusal: null, content: [
            {token: " a", logprob: -0.5, bytes: [32, 97], top_logprobs: [{token: " a", logprob: -0.5, bytes: [32, 97]},
                {token: " b", logprob: -1, bytes: [32, 98]}, {token: " b", logprob: -2, bytes: [32, 98]}]},
            {token: "bytes:\\xe2", logprob: -9999, bytes: [0xe2], top_logprobs: []}]});
    });

    it("completions: parallel arrays, offsets from the prompt's start, the more probable of two tokens with one text", () => {
        expect(completionLogprobs(entries, 16)).toEqual({tokens: [" a", "bytes:\\xe2"], token_logprobs: [-0.5, -9999],
            top_logprobs: [{" a": -0.5, " b": -1}, {}], text_offset: [16, 18]});
    });

    it("a token's text and bytes; one byte of a longer character is named by its byte", () => {
        expect(tokenText(" é", () => undefined)).toEqual({token: " é", bytes: [32, 0xc3, 0xa9]});
        expect(tokenText("\uFFFD", () => 0xe2)).toEqual({token: "bytes:\\xe2", bytes: [0xe2]});
        expect(tokenText("\uFFFD", () => undefined)).toEqual({token: "\uFFFD", bytes: [0xef, 0xbf, 0xbd]});
    });
});
