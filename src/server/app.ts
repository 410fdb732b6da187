/**
 * The HTTP surface: an OpenAI-compatible API (chat completions, completions, models) with steering per request,
 * and the server's default steering and vector list. fastify parses and bounds the bodies and validates them with
 * the JSON schemas of schemas.ts; every failure is OpenAI's error shape with its status (apiErrors.ts), and nothing
 * a request sends can end the process: a handler's error is caught by fastify, a stream's by its writer.
 */
import {createHash, randomUUID, timingSafeEqual} from "node:crypto";
import Fastify, {type FastifyInstance, type FastifyReply, type FastifyRequest} from "fastify";
import type {ChatMessage} from "../engine/chatPrompt.js";
import {displayText} from "../displayText.js";
import {AuthenticationError, BadRequestError, ClientGoneError, ForbiddenHostError, NotFoundError, ShuttingDownError, toApiError,
    type ApiError} from "./apiErrors.js";
import {chatBodySchema, completionBodySchema, steeringSchema, validationMessage, type ChatBody, type CompletionBody,
    type SchemaError, type SteeringSpec} from "./schemas.js";
import type {ChatFormatView, GenerationInput, GenerationOutcome, SteeredModel} from "./steeredModel.js";
import {chatLogprobs, completionLogprobs, type LogprobEntry} from "./tokenLogprobs.js";
import type {SteeringView} from "./steeringResolver.js";

/** the largest request body, in bytes: a long conversation fits, a flood does not */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export type ServerOptions = {
    /** Bearer key every request but /health must carry; undefined: none needed (loopback only, the CLI checks) */
    apiKey?: string,
    bodyLimit?: number,
    /** one line per request served, and the stack of a bug */
    log?: (line: string) => void
};

export type SteerServer = {
    app: FastifyInstance,
    /** Stops listening, refuses what waits, stops what runs, and resolves once every request has ended. */
    close(): Promise<void>
};

type Kind = "chat" | "completion";

/** whether `host` names this machine only (127.0.0.0/8, ::1, localhost): anything else needs an API key */
export function isLoopback(host: string): boolean {
    const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
    return h === "localhost" || h === "::1" || /^(?:::ffff:)?127(?:\.\d{1,3}){3}$/.test(h);
}

export function buildServer(model: SteeredModel,
    {apiKey, bodyLimit = DEFAULT_BODY_LIMIT, log = () => {}}: ServerOptions = {}): SteerServer {
    let closing = false;
    const app = Fastify({
        bodyLimit,
        logger: false,
        // requests arriving while it closes are answered by the hook below, in the API's shape
        return503OnClosing: false,
        // types as sent ("0.5" is no number), nothing removed or filled in; verbose: the failing field's description
        ajv: {customOptions: {coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, verbose: true,
            allowUnionTypes: true}},
        schemaErrorFormatter: (errors, dataVar) => {
            const {message, param} = validationMessage(errors as unknown as SchemaError[], dataVar);
            return new BadRequestError(message, {param, code: "invalid_value"});
        }
    });
    // bodies are JSON only (fastify would take text/plain as a string): anything else is a 415
    app.removeContentTypeParser("text/plain");
    const expectedKey = apiKey != null ? digest(apiKey) : undefined;

    app.addHook("onRequest", async (request) => {
        if (closing) throw new ShuttingDownError();
        // without a key the server listens on loopback only; a page the browser loaded from elsewhere can still
        // reach it through DNS rebinding, under its own host name: only this machine's names are answered
        if (expectedKey == null && !isLoopback(request.hostname)) throw new ForbiddenHostError(displayText(request.hostname, 200));
        if (expectedKey == null || request.url === "/health") return;
        const header = request.headers.authorization;
        const given = header != null ? /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() : undefined;
        if (given == null) throw new AuthenticationError("This server needs an API key: send it as \"Authorization: Bearer KEY\"");
        if (!timingSafeEqual(digest(given), expectedKey)) throw new AuthenticationError("The API key is not this server's");
    });

    app.setErrorHandler((err, request, reply) => {
        const api = toApiError(err);
        if (api.status >= 500 && !(err instanceof ShuttingDownError))
            log(`${request.method} ${request.url}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
        return sendError(reply, api);
    });

    app.setNotFoundHandler((request, reply) =>
        sendError(reply, new NotFoundError(`Unknown route: ${request.method} ${displayText(request.url, 200)}`, "unknown_route")));

    app.get("/health", async () => ({status: "ok"}));

    app.get("/v1/models", async () => ({object: "list", data: [modelCard(model)]}));

    app.get<{Params: {id: string}}>("/v1/models/:id", async (request) => {
        checkModel(model, request.params.id, "id");
        return modelCard(model);
    });

    app.get("/v1/steering", async () => ({steering: model.defaultView()}));

    app.post("/v1/steering", {schema: {body: steeringSchema}}, async (request) => {
        const spec = request.body as SteeringSpec | true;
        if (spec === true) throw trueSteering();
        return {steering: await model.setDefault(spec)};
    });

    app.get("/v1/steering/vectors", async () => ({object: "list", data: await model.listVectors()}));

    app.post("/v1/chat/completions", {schema: {body: chatBodySchema}},
        (request, reply) => serveGeneration(model, "chat", request, reply, log));

    app.post("/v1/completions", {schema: {body: completionBodySchema}},
        (request, reply) => serveGeneration(model, "completion", request, reply, log));

    return {
        app,
        async close() {
            closing = true;
            // the model stops first (what waits is refused, what runs is stopped), so app.close's wait for the
            // requests in flight is short
            const stopped = model.close();
            await app.close();
            await stopped;
        }
    };
}

function sendError(reply: FastifyReply, err: ApiError) {
    if (err.status === 429) reply.header("Retry-After", "1");
    return reply.code(err.status).type("application/json").send(err.body());
}

const digest = (key: string) => createHash("sha256").update(key).digest();

function modelCard(model: SteeredModel) {
    return {id: model.modelId, object: "model", created: model.created, owned_by: "steer-chat",
        context_size: model.contextSize, chat: true, chat_format: model.chatFormat, steering: model.defaultView()};
}

/** The model a request names must be this server's (its id, or its file name). */
function checkModel(model: SteeredModel, name: string, param = "model") {
    if (name === model.modelId || name === `${model.modelId}.gguf`) return;
    throw new NotFoundError(`The model "${displayText(name, 200)}" does not exist: this server serves "${model.modelId}"`,
        "model_not_found", param);
}

const trueSteering = () => new BadRequestError("steering must be false (unsteered) or an object; true means nothing here",
    {param: "steering", code: "invalid_value"});

/**
 * OpenAI request fields this server does not act on. One it cannot honour is refused in one line naming it rather
 * than ignored, so no client is misled; its neutral value (null, false, 0, empty, "none", text only) is taken, as a
 * client may send it. The README's Serving section lists them.
 */
const UNSUPPORTED: Record<Kind, [field: string, neutral: (value: unknown) => boolean, why: string][]> = (() => {
    const empty = (value: unknown) => value == null || value === false || value === 0 || value === ""
        || (Array.isArray(value) && value.length === 0) || (typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0);
    const common: [string, (value: unknown) => boolean, string][] = [
        ["presence_penalty", empty, "is not supported (give 0 or leave it out)"],
        ["frequency_penalty", empty, "is not supported (give 0 or leave it out)"],
        ["logit_bias", empty, "is not supported"]
    ];
    return {
        chat: [...common,
            ["tools", empty, "are not supported"],
            ["tool_choice", (v) => v == null || v === "none" || v === "auto", "is not supported (no tools)"],
            ["functions", empty, "are not supported"],
            ["function_call", (v) => v == null || v === "none" || v === "auto", "is not supported (no functions)"],
            ["response_format", (v) => v == null || (v as {type?: unknown}).type === "text", "other than text is not supported"],
            ["audio", empty, "is not supported (text only)"],
            ["modalities", (v) => v == null || (Array.isArray(v) && v.every((m) => m === "text")), "other than [\"text\"] are not supported"],
            ["prediction", empty, "(predicted outputs) is not supported"],
            ["reasoning_effort", empty, "is not supported (not a reasoning model)"],
            ["verbosity", empty, "is not supported"],
            ["web_search_options", empty, "is not supported"],
            ["store", empty, "is not supported (this server stores nothing)"]],
        completion: [...common,
            ["echo", empty, "is not supported"],
            ["suffix", empty, "is not supported"]]
    };
})();

function refuseUnsupported(kind: Kind, body: Record<string, unknown>) {
    for (const [field, neutral, why] of UNSUPPORTED[kind])
        if (Object.hasOwn(body, field) && !neutral(body[field]))
            throw new BadRequestError(`${field} ${why}`, {param: field, code: "unsupported_parameter"});
    // as OpenAI: top_logprobs needs logprobs
    if (kind === "chat" && body.top_logprobs != null && body.logprobs !== true)
        throw new BadRequestError("top_logprobs needs logprobs: true", {param: "top_logprobs", code: "invalid_value"});
}

function generationInput(kind: Kind, body: ChatBody | CompletionBody): GenerationInput {
    const stop = body.stop == null ? [] : typeof body.stop === "string" ? [body.stop] : body.stop;
    if (typeof body.stop === "string" && body.stop === "")
        throw new BadRequestError("stop must not be empty", {param: "stop", code: "invalid_value"});
    const maxTokens = (kind === "chat" ? (body as ChatBody).max_completion_tokens : undefined) ?? body.max_tokens ?? undefined;
    return {
        prompt: kind === "chat" ? {kind: "chat", messages: chatMessages((body as ChatBody).messages)}
            : {kind: "raw", text: typeof (body as CompletionBody).prompt === "string" ? (body as CompletionBody).prompt as string
                : (body as CompletionBody).prompt[0]},
        sampling: {temperature: body.temperature ?? undefined, topP: body.top_p ?? undefined, topK: body.top_k ?? undefined,
            minP: body.min_p ?? undefined, seed: body.seed ?? undefined, maxTokens},
        stop,
        steering: body.steering as SteeringSpec | undefined,
        gauge: body.gauge === true,
        readout: body.readout === true,
        cachePrompt: body.cache_prompt === true,
        ...logprobsAsked(kind, body) != null ? {logprobs: logprobsAsked(kind, body)} : {}
    };
}

/** how many top tokens a request's logprobs ask for per step (0: the chosen token's only); undefined: none */
function logprobsAsked(kind: Kind, body: ChatBody | CompletionBody): number | undefined {
    if (kind === "chat") return (body as ChatBody).logprobs === true ? (body as ChatBody).top_logprobs ?? 0 : undefined;
    return (body as CompletionBody).logprobs ?? undefined;
}

/** OpenAI's messages as the template takes them: "developer" is the system role, text parts joined. */
function chatMessages(messages: ChatBody["messages"]): ChatMessage[] {
    return messages.map((m) => ({
        role: m.role === "developer" ? "system" : m.role,
        content: typeof m.content === "string" ? m.content : m.content.map((part) => part.text).join("")
    }));
}

/**
 * One completion request: checked, prepared (a 400 before it waits), queued, and answered as one JSON body or as
 * server-sent events. The client closing the connection stops its generation (or drops it from the queue).
 */
async function serveGeneration(model: SteeredModel, kind: Kind, request: FastifyRequest, reply: FastifyReply,
    log: (line: string) => void): Promise<unknown> {
    const body = request.body as ChatBody | CompletionBody;
    checkModel(model, body.model);
    if (body.steering === true) throw trueSteering();
    refuseUnsupported(kind, body as Record<string, unknown>);
    const prepared = await model.prepare(generationInput(kind, body));
    const client = new AbortController();
    reply.raw.on("close", () => { if (!reply.raw.writableFinished) client.abort(); });
    // gone while it was prepared (the request's own stream ends once its body is read: the socket says it)
    if (request.raw.socket.destroyed || reply.raw.destroyed) client.abort();
    const ids = {id: `${kind === "chat" ? "chatcmpl" : "cmpl"}-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model: model.modelId};
    const shape: Shape = {kind, logprobs: prepared.logprobs != null,
        promptLength: kind === "completion" ? (generationPrompt(body as CompletionBody)).length : 0,
        ...kind === "chat" && model.chatFormat.source === "fallback" ? {chatFormat: model.chatFormat} : {}};
    const done = (outcome: GenerationOutcome) => log(`${request.method} ${request.url} ${outcome.promptTokens}+${outcome.completionTokens} tokens `
        + `${outcome.seconds.toFixed(2)} s ${outcome.finishReason} · ${outcome.steering.description} (${outcome.steering.source})`);
    const gone = (err: ClientGoneError) => log(`${request.method} ${request.url}: the client went away`
        + `${err.tokens != null ? `; its reply was stopped after ${err.tokens} tokens` : " while it waited"}`);
    if (body.stream !== true) {
        try {
            const outcome = await model.generate(prepared, {signal: client.signal});
            done(outcome);
            return responseBody(shape, ids, outcome);
        } catch (err) {
            if (!(err instanceof ClientGoneError)) throw err;
            gone(err);
            return reply.hijack(); // nobody to answer
        }
    }
    const stream = new EventStream(reply, shape, ids, body.stream_options?.include_usage === true);
    try {
        const outcome = await model.generate(prepared, {signal: client.signal, onStart: (steering) => stream.start(steering),
            onText: (text, logprobs) => stream.text(text, logprobs)});
        stream.end(outcome);
        done(outcome);
    } catch (err) {
        if (!stream.started) throw err; // nothing sent yet: an error response as any other
        if (err instanceof ClientGoneError) gone(err);
        else stream.fail(toApiError(err));
        if (toApiError(err).status >= 500 && !(err instanceof ShuttingDownError)) log(`${request.method} ${request.url}: ${(err as Error).stack}`);
    }
    return reply;
}

type Ids = {id: string, created: number, model: string};

/** what a response's shape depends on beside its kind: logprobs asked for, the prompt's length (completions'
 * text_offset counts from the prompt's start), the chat's fallback format (said in each chat response) */
type Shape = {kind: Kind, logprobs: boolean, promptLength: number, chatFormat?: ChatFormatView};

function generationPrompt(body: CompletionBody): string {
    return typeof body.prompt === "string" ? body.prompt : body.prompt[0];
}

function logprobsOf(shape: Shape, entries: readonly LogprobEntry[] | undefined) {
    if (!shape.logprobs) return null;
    return shape.kind === "chat" ? chatLogprobs(entries ?? []) : completionLogprobs(entries ?? [], shape.promptLength);
}

function usageOf(outcome: GenerationOutcome) {
    return {prompt_tokens: outcome.promptTokens, completion_tokens: outcome.completionTokens,
        total_tokens: outcome.promptTokens + outcome.completionTokens};
}

/** what a response adds to OpenAI's fields: the steering it was made with, and the gauge and read-out when asked */
function extras(outcome: GenerationOutcome) {
    return {steering: outcome.steering, ...outcome.gauge ? {gauge: outcome.gauge} : {},
        ...outcome.readout ? {readout: outcome.readout} : {}};
}

function responseBody(shape: Shape, ids: Ids, outcome: GenerationOutcome) {
    const logprobs = logprobsOf(shape, outcome.logprobs);
    const choice = shape.kind === "chat"
        ? {index: 0, message: {role: "assistant", content: outcome.text, refusal: null}, logprobs, finish_reason: outcome.finishReason}
        : {index: 0, text: outcome.text, logprobs, finish_reason: outcome.finishReason};
    return {id: ids.id, object: shape.kind === "chat" ? "chat.completion" : "text_completion", created: ids.created, model: ids.model,
        system_fingerprint: null, choices: [choice], usage: usageOf(outcome), ...extras(outcome),
        ...shape.chatFormat ? {chat_format: shape.chatFormat} : {}};
}

/**
 * A reply as server-sent events, as OpenAI streams it: a first chunk (the assistant role in chat; here also the
 * steering), a chunk per piece of text, a last chunk with the finish reason (and the steering, gauge and read-out),
 * the usage chunk when asked for, then `data: [DONE]`. An error after the first chunk is an event `{"error": …}`
 * (OpenAI's clients raise it), and the stream ends without [DONE].
 */
class EventStream {
    started = false;
    private readonly object: string;

    private readonly kind: Kind;

    constructor(private readonly reply: FastifyReply, private readonly shape: Shape, private readonly ids: Ids,
        private readonly includeUsage: boolean) {
        this.kind = shape.kind;
        this.object = shape.kind === "chat" ? "chat.completion.chunk" : "text_completion";
    }

    start(steering: SteeringView) {
        this.started = true;
        this.reply.hijack();
        this.reply.raw.writeHead(200, {"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache",
            Connection: "keep-alive", "X-Accel-Buffering": "no"});
        this.send(this.chunk(this.kind === "chat" ? {role: "assistant", content: ""} : "", null), {steering,
            ...this.shape.chatFormat ? {chat_format: this.shape.chatFormat} : {}});
    }

    /** a piece of text, with the tokens it completes when logprobs were asked for */
    text(text: string, logprobs?: readonly LogprobEntry[]) {
        this.send(this.chunk(this.kind === "chat" ? {content: text} : text, null, logprobsOf(this.shape, logprobs)));
    }

    end(outcome: GenerationOutcome) {
        this.send(this.chunk(this.kind === "chat" ? {} : "", outcome.finishReason), extras(outcome));
        if (this.includeUsage)
            this.write({id: this.ids.id, object: this.object, created: this.ids.created, model: this.ids.model, system_fingerprint: null,
                choices: [], usage: usageOf(outcome)});
        this.writeLine("data: [DONE]\n\n");
        this.reply.raw.end();
    }

    fail(err: ApiError) {
        this.write(err.body());
        this.reply.raw.end();
    }

    private chunk(content: object | string, finishReason: string | null, logprobs: object | null = null) {
        const choice = this.kind === "chat"
            ? {index: 0, delta: content, logprobs, finish_reason: finishReason}
            : {index: 0, text: content, logprobs, finish_reason: finishReason};
        return {id: this.ids.id, object: this.object, created: this.ids.created, model: this.ids.model, system_fingerprint: null,
            choices: [choice], ...this.includeUsage ? {usage: null} : {}};
    }

    private send(chunk: object, extra: object = {}) {
        this.write({...chunk, ...extra});
    }

    private write(value: object) {
        this.writeLine(`data: ${JSON.stringify(value)}\n\n`);
    }

    private writeLine(text: string) {
        if (!this.reply.raw.writableEnded && !this.reply.raw.destroyed) this.reply.raw.write(text);
    }
}
