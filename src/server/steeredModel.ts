/**
 * The model behind the server: one llama.cpp context. Requests whose steering is equal run together, each on a
 * sequence of its own, decoded in one batch per step (the native batched loop); requests with other steering wait,
 * and the queue switches between batches (RequestQueue). A request the batch cannot take (σ strengths not yet
 * resolved, the reply-only policy, the gauge, the read-out, cache_prompt) runs alone on the conversation's sequence,
 * as before; so does every request on a context of one sequence. Each
 * request brings its whole conversation and its steering: when its turn comes, its steering is staged and applied
 * (the controller's switch: a mix and one call, nothing reloaded), and its prompt is answered from a cleared cache,
 * so a reply depends only on the request — the same text as the request sent alone, and as `steer-chat ask` with
 * the same steering — and no client's conversation is visible to another. `cache_prompt: true` keeps the cached
 * prefix the prompt shares with the last request evaluated under the same steering instead (the history ledger
 * keys the cache by steering), which is faster for long shared prompts and equal up to floating-point rounding.
 */
import {LlamaText, type ChatHistoryItem, type ChatWrapper, type LlamaContextSequence, type Token} from "node-llama-cpp";
import type {LoadedModel} from "../engine/runtime.js";
import type {ChatMessage} from "../engine/chatPrompt.js";
import type {ChatTemplate} from "../engine/chatPrompt.js";
import {chatWrapperFor, jinjaChatTemplateFor} from "../engine/chatTemplate.js";
import {PromptTooLongError, type Reply} from "../engine/conversationTypes.js";
import {tokenizePrompt, type TokenLogprob} from "../engine/generateTokens.js";
import {DEFAULT_SAMPLING, type SamplingOptions} from "../engine/sampling.js";
import {rawFormat, templateConversationTokens, TurnConversation} from "../engine/turnConversation.js";
import {CoherenceMeter, type MeasuredGauge} from "../steering/coherenceMeter.js";
import {ReplyReader, type ReplyReadout} from "../steering/replyReadout.js";
import type {SteeringController} from "../steering/steeringController.js";
import {replyOnlySettings, type SteerPolicy} from "../steering/steerPolicy.js";
import {nativeGeneratorFor} from "../native/generationLoop.js";
import {listVectors} from "../steering/vectorLibrary.js";
import {shortQuality} from "../steering/vectorQuality.js";
import type {PresetStore} from "../presets/presetStore.js";
import {steeringHooks} from "../session/setupSteering.js";
import {BadRequestError, ClientGoneError, ShuttingDownError} from "./apiErrors.js";
import {RequestQueue} from "./requestQueue.js";
import type {SteeringSpec} from "./schemas.js";
import {SteeringResolver, steeringView, type PresetSettings, type ResolvedSteering, type SteeringPlan,
    type SteeringView} from "./steeringResolver.js";
import {StopScanner} from "./stopScanner.js";
import {LogprobTracker, tokenText, type LogprobEntry, type TokenText} from "./tokenLogprobs.js";
import {BatchGeneration, batchUnavailable, sharedDecodeCount} from "../engine/batchGeneration.js";
import type {ModelCalibration} from "../steering/strengthUnits.js";

/** What the server was started with, beside the model: its flags' settings and limits. */
export type SteeredModelOptions = {
    /** undefined when the model cannot be steered: `why` says why (requests with steering are then refused) */
    controller: SteeringController | undefined,
    why?: string,
    /** the steering a request without a `steering` field gets (flags, --preset) */
    defaultSteering: ResolvedSteering,
    /** the settings given as flags: they win over a preset's, a request's own fields over them */
    flags: {systemPrompt?: string, sampling: Partial<SamplingOptions>, steer?: SteerPolicy},
    /** a request's max_tokens when it gives none, and the most it may ask for */
    maxTokens: number,
    /** the most requests waiting for their turn */
    queueLimit: number,
    presets?: PresetStore,
    calibration: () => Promise<ModelCalibration>
};

/** A request as the routes read it: the prompt, its own settings (what it leaves out is undefined) and its extras. */
export type GenerationInput = {
    prompt: {kind: "raw", text: string} | {kind: "chat", messages: ChatMessage[]},
    sampling: Partial<SamplingOptions>,
    stop: readonly string[],
    /** the `steering` field; undefined: the server's default */
    steering: SteeringSpec | undefined,
    gauge: boolean,
    readout: boolean,
    cachePrompt: boolean,
    /** OpenAI's logprobs: how many of each step's most probable tokens to report (0: the chosen token's only);
     * undefined: none */
    logprobs?: number
};

/** A request checked and tokenized, ready to wait for its turn. */
export type PreparedGeneration = {
    tokens: Token[],
    sampling: SamplingOptions,
    stop: readonly string[],
    /** the request's own steering (read, not yet resolved), or the server's default as it was when the request came */
    steering: {source: "request", plan: SteeringPlan, policy?: SteerPolicy} | {source: "default", resolved: ResolvedSteering, policy?: SteerPolicy},
    gauge: boolean,
    readout: boolean,
    cachePrompt: boolean,
    logprobs?: number,
    /** the steering's signature when the request may run in a batch with others of equal steering */
    batchKey?: string
};

/**
 * How chat requests become a prompt: the model's Jinja template, or (a model without one, or whose template does
 * not render) node-llama-cpp's chat wrapper for it, as `steer-chat chat` falls back; `note` says why.
 */
export type ChatFormatView = {source: "template", name: "jinja"} | {source: "fallback", name: string, note: string};

export type GaugeView = {
    tokens: number, kl: number, kl_max: number, repetition: number, perplexity: number, steered_perplexity: number,
    compression?: number, truncated: number, seconds: number
};

export type ReadoutView = {name: string, z: number, layers: {layer: number, z: number}[]};

export type GenerationOutcome = {
    text: string,
    /** stop: an end-of-generation token or a stop string; length: max_tokens or the context's end */
    finishReason: "stop" | "length",
    promptTokens: number,
    completionTokens: number,
    steering: SteeringView,
    gauge?: GaugeView,
    readout?: ReadoutView[],
    /** the reply's tokens with their log-probabilities, when asked for (those before a stop string) */
    logprobs?: LogprobEntry[],
    seconds: number
};

export type GenerationStream = {
    /** the client's signal: it went away */
    signal?: AbortSignal,
    /** the request's turn came and its steering is applied: the first thing a stream sends */
    onStart?: (steering: SteeringView) => void,
    /** a piece of the reply's text, and (when log-probabilities were asked for) the tokens it completes */
    onText?: (chunk: string, logprobs?: LogprobEntry[]) => void
};

export type VectorInfo = {name: string, folder: string, layers?: number, fits?: boolean, quality?: string, best_auroc?: number,
    problem?: string};

export class SteeredModel {
    readonly modelId: string;
    /** the model file's modification time, as OpenAI's `created` */
    readonly created: number;
    private readonly conversation: TurnConversation;
    private readonly queue: RequestQueue;
    private readonly resolver: SteeringResolver | undefined;
    private readonly policy: {current: SteerPolicy} = {current: "all"};
    private readonly template: {template: ChatTemplate} | {wrapper: ChatWrapper, note: string};
    private readonly sequence: LlamaContextSequence;
    /** a vocabulary token's text and bytes, as logprobs write them */
    private readonly tokenTexts = new Map<number, TokenText>();
    private wordTokens: Token[] | undefined;
    private defaultSteering: ResolvedSteering;
    private defaultPolicy: SteerPolicy | undefined;
    private meter: CoherenceMeter | undefined;
    private reader: ReplyReader | undefined;
    /** aborts the running request when the server shuts down */
    private readonly shutdown = new AbortController();
    private readonly running = new Set<Promise<unknown>>();
    /** the sequences batched requests run on (free ones), beside the conversation's */
    private readonly free: LlamaContextSequence[] = [];
    private readonly sequences: LlamaContextSequence[] = [];
    /** the batch that runs now: its steering key and its native run, opened by its first request */
    private batch: {key: string, run: Promise<BatchGeneration>} | undefined;
    private batchEnded: Promise<unknown> = Promise.resolve();

    constructor(private readonly loaded: LoadedModel, private readonly options: SteeredModelOptions, modelId: string, created: number) {
        this.modelId = modelId;
        this.created = created;
        const controller = options.controller;
        const conversationSequence = loaded.context.getSequence();
        this.sequence = conversationSequence;
        // batches need a second sequence at least, and the native batched loop
        const why = loaded.context.totalSequences > 1 ? batchUnavailable(conversationSequence) : "one sequence";
        if (why == null)
            while (loaded.context.sequencesLeft > 0) this.sequences.push(loaded.context.getSequence());
        this.free.push(...this.sequences);
        this.queue = new RequestQueue(options.queueLimit, {
            width: Math.min(this.sequences.length, loaded.context.batchSize),
            endBatch: () => this.endBatch()
        });
        this.resolver = controller && new SteeringResolver(controller, options.presets, options.calibration);
        this.defaultSteering = options.defaultSteering;
        this.defaultPolicy = options.defaultSteering.policy;
        // the sequence holds no conversation: each request's prompt is given whole (complete); the reeval policy drops
        // what was evaluated under other steering when a request keeps the cache
        this.conversation = new TurnConversation(conversationSequence, {...DEFAULT_SAMPLING}, {
            mode: "raw", history: "reeval", ...steeringHooks(controller),
            ...controller ? {replySettings: replyOnlySettings(controller, () => this.policy.current)} : {}
        }, rawFormat(loaded.model));
        const {template, runaway} = jinjaChatTemplateFor(loaded.model);
        if (template != null) this.template = {template};
        else {
            const {wrapper, warning} = chatWrapperFor(loaded.model, {runaway});
            this.template = {wrapper, note: warning ?? `The model's chat template is not used; chatting in node-llama-cpp's ${wrapper.wrapperName} format`};
        }
    }

    /** how /v1/chat/completions makes its prompts on this model */
    get chatFormat(): ChatFormatView {
        return "template" in this.template ? {source: "template", name: "jinja"}
            : {source: "fallback", name: this.template.wrapper.wrapperName, note: this.template.note};
    }

    get contextSize(): number {
        return this.loaded.context.contextSize;
    }

    /** how many requests may run in one batch (1: one at a time) */
    get batchWidth(): number {
        return Math.max(1, this.sequences.length);
    }

    /** decodes that carried more than one request's token, counted since the native helper was loaded */
    get sharedDecodes(): number {
        return sharedDecodeCount();
    }

    /** sequences that hold a batched request now (0 when none runs) */
    get liveSequences(): number {
        return this.sequences.length - this.free.length;
    }

    /** The default steering, as GET /v1/steering shows it. */
    defaultView(): SteeringView {
        return steeringView(this.defaultSteering, this.policyOf(this.defaultPolicy, this.defaultSteering.preset), "default");
    }

    /** POST /v1/steering: the steering requests without a `steering` field get from now on. */
    async setDefault(spec: SteeringSpec): Promise<SteeringView> {
        const plan = await this.requireResolver().plan(spec);
        // σ needs the calibration, measured on the model: in the queue, as a request
        this.defaultSteering = await this.queue.run(async () => {
            const resolved = await this.requireResolver().resolve(plan);
            this.options.controller!.update(() => resolved.state); // refuses a mix that overflows float32, before it is kept
            return resolved;
        });
        this.defaultPolicy = spec === false ? "all" : spec.policy;
        return this.defaultView();
    }

    async listVectors(): Promise<VectorInfo[]> {
        const shape = this.options.controller?.shape;
        const listed = await listVectors(this.options.controller?.trainedDir);
        return listed.filter((v) => v.shadowedBy == null).map((v) => v.ok
            ? {name: v.name, folder: v.folder, layers: v.layerCount, ...shape ? {fits: v.nEmbd === shape.nEmbd} : {},
                ...v.quality ? {quality: shortQuality(v.quality), best_auroc: bestAuroc(v.quality.layers)} : {}}
            : {name: v.name, folder: v.folder, problem: v.problem});
    }

    /** Checks a request and tokenizes its prompt (before it waits): bad input is a 400 at once. */
    async prepare(input: GenerationInput): Promise<PreparedGeneration> {
        if (input.sampling.maxTokens != null && input.sampling.maxTokens > this.options.maxTokens)
            throw new BadRequestError(`max_tokens ${input.sampling.maxTokens} is above this server's limit of ${this.options.maxTokens} (serve --max-tokens)`,
                {param: "max_tokens", code: "max_tokens_too_large"});
        const steered = input.steering !== undefined && input.steering !== false;
        if ((steered || input.gauge || input.readout) && this.resolver == null)
            throw new BadRequestError(`Steering is unavailable on this server: ${this.options.why ?? "no native helper"}`,
                {param: steered ? "steering" : input.gauge ? "gauge" : "readout", code: "steering_unavailable"});
        let steering: PreparedGeneration["steering"];
        let preset: PresetSettings | undefined;
        if (input.steering === undefined) {
            steering = {source: "default", resolved: this.defaultSteering, policy: this.defaultPolicy};
            preset = this.defaultSteering.preset;
        } else {
            const plan = input.steering === false ? {vectors: [], policy: "all" as const} : await this.resolver!.plan(input.steering);
            steering = {source: "request", plan, policy: input.steering === false ? "all" : input.steering.policy};
            preset = plan.preset;
        }
        const {flags} = this.options;
        const sampling: SamplingOptions = {...DEFAULT_SAMPLING, maxTokens: this.options.maxTokens, ...preset?.sampling, ...flags.sampling,
            ...definedOnly(input.sampling)};
        const system = flags.systemPrompt ?? preset?.systemPrompt;
        const tokens = this.promptTokens(input.prompt, system);
        if (tokens.length >= this.contextSize) throw new PromptTooLongError(tokens.length, this.contextSize, false);
        if (tokens.length === 0) throw new BadRequestError("The prompt is empty", {param: "prompt"});
        if (input.logprobs != null) {
            const native = nativeGeneratorFor(this.sequence);
            if ("reason" in native)
                throw new BadRequestError(`logprobs are unavailable on this server: they need the native generation loop (${native.reason})`,
                    {param: "logprobs", code: "logprobs_unavailable"});
        }
        // a fallback chat format ends a reply at its own stop text too (Llama 2's "</s>" as text), as the chat's session does
        const stop = input.prompt.kind === "chat" && "wrapper" in this.template
            ? [...input.stop, ...wrapperStopTexts(this.template.wrapper).filter((t) => !input.stop.includes(t))] : input.stop;
        const prepared: PreparedGeneration = {tokens, sampling, stop, steering, gauge: input.gauge, readout: input.readout,
            cachePrompt: input.cachePrompt, ...input.logprobs != null ? {logprobs: input.logprobs} : {}};
        const batchKey = await this.batchKeyOf(prepared);
        return batchKey != null ? {...prepared, batchKey} : prepared;
    }

    /**
     * The key a request runs in a batch under: its steering's signature, when a batch can run it (steering on the
     * whole prompt and reply, known without the calibration, nothing measured after the reply, a fresh cache).
     */
    private async batchKeyOf(prepared: PreparedGeneration): Promise<string | undefined> {
        // logprobs come from the single-sequence loop only (the batch loop reports the chosen tokens' confidences)
        if (this.sequences.length === 0 || prepared.gauge || prepared.readout || prepared.cachePrompt) return undefined;
        if (prepared.logprobs != null) return undefined;
        const asked = prepared.steering;
        if (asked.source === "request" && asked.plan.vectors.some((v) => v.sigma != null)) return undefined;
        const steering = asked.source === "default" ? asked.resolved
            : this.resolver != null ? await this.resolver.resolve(asked.plan) : undefined;
        if (steering == null && asked.source === "request" && asked.plan.vectors.length > 0) return undefined;
        const preset = steering?.preset ?? (asked.source === "request" ? asked.plan.preset : undefined);
        if (this.policyOf(asked.policy, preset) !== "all") return undefined;
        return steering?.state.signature() ?? "[]";
    }

    /**
     * Waits for the request's turn, applies its steering and answers it. Rejects with ClientGoneError when the client
     * went away (while waiting, or stopping the reply), ShuttingDownError on SIGTERM, QueueFullError when full.
     */
    generate(prepared: PreparedGeneration, stream: GenerationStream = {}): Promise<GenerationOutcome> {
        return this.queue.run(() => {
            const run = prepared.batchKey != null ? this.generateInBatch(prepared, prepared.batchKey, stream)
                : this.generateNow(prepared, stream);
            const settled = run.catch(() => undefined);
            this.running.add(settled);
            void settled.then(() => this.running.delete(settled));
            return run;
        }, stream.signal, prepared.batchKey);
    }

    /**
     * A request in a batch: the batch's first request applies the steering and opens the native run, which the
     * others join; each reply runs on a sequence of its own, from an empty cache, so it is the reply the request
     * gets alone.
     */
    private async generateInBatch(prepared: PreparedGeneration, key: string,
        {signal, onStart, onText}: GenerationStream): Promise<GenerationOutcome> {
        const started = performance.now();
        if (this.shutdown.signal.aborted) throw new ShuttingDownError();
        const asked = prepared.steering;
        const steering = asked.source === "default" ? asked.resolved : await this.requireResolver().resolve(asked.plan);
        const policy = this.policyOf(asked.policy, steering.preset);
        if (this.batch?.key !== key) {
            const controller = this.options.controller;
            this.batch = {key, run: (async () => {
                // the queue runs one batch at a time: the last one has closed (and let go of the context)
                await this.batchEnded;
                if (controller != null) {
                    controller.update(() => steering.state); // a mix that overflows float32 is refused here
                    // on the context now; put back when it was applied already (a request alone may have left
                    // another vector on the context: the reply-only policy's prompt, a schedule's switch)
                    if (!controller.applyStaged()) controller.reapply();
                }
                this.policy.current = policy;
                return BatchGeneration.open(this.loaded.context);
            })()};
        }
        const run = await this.batch.run;
        const view = steeringView(steering, policy, asked.source);
        onStart?.(view);
        const sequence = this.free.pop();
        if (sequence == null) throw new Error("a batched request found no free sequence (the queue let too many in)");
        const stops = new StopScanner(prepared.stop);
        const stopped = new AbortController();
        try {
            const result = await run.reply(sequence, prepared.tokens, {
                sampling: prepared.sampling, signal: AbortSignal.any([stopped.signal, this.shutdown.signal, ...signal ? [signal] : []]),
                onText: (chunk) => {
                    const shown = stops.push(chunk);
                    if (shown !== "") onText?.(shown);
                    if (stops.stopped) stopped.abort();
                }
            });
            if (result.stopReason === "aborted" && !stops.stopped) {
                if (this.shutdown.signal.aborted) throw new ShuttingDownError();
                throw new ClientGoneError(result.tokens.length);
            }
            const rest = stops.flush();
            if (rest !== "") onText?.(rest);
            return {
                text: stops.text,
                finishReason: stops.stopped || result.stopReason === "eos" ? "stop" : "length",
                promptTokens: prepared.tokens.length,
                completionTokens: result.tokens.length,
                steering: view,
                seconds: (performance.now() - started) / 1000
            };
        } finally {
            this.free.push(sequence);
        }
    }

    /** The queue's batch has drained: its native run closes and lets go of the context. */
    private endBatch(): Promise<void> {
        const batch = this.batch;
        this.batch = undefined;
        const ended = (async () => {
            if (batch != null) await (await batch.run).close();
        })();
        this.batchEnded = ended.catch(() => undefined);
        return ended;
    }

    private async generateNow(prepared: PreparedGeneration, {signal, onStart, onText}: GenerationStream): Promise<GenerationOutcome> {
        const started = performance.now();
        if (this.shutdown.signal.aborted) throw new ShuttingDownError();
        const asked = prepared.steering;
        const steering = asked.source === "default" ? asked.resolved : await this.requireResolver().resolve(asked.plan);
        const policy = this.policyOf(asked.policy, steering.preset);
        const controller = this.options.controller;
        controller?.update(() => steering.state); // a mix that overflows float32 is refused here, before anything is sent
        this.policy.current = policy;
        const view = steeringView(steering, policy, asked.source);
        onStart?.(view);

        const stops = new StopScanner(prepared.stop);
        const stopped = new AbortController();
        const signals = [stopped.signal, this.shutdown.signal, ...signal ? [signal] : []];
        const tracker = prepared.logprobs != null ? new LogprobTracker<TokenLogprob>() : undefined;
        let shownLength = 0;
        const reported = (entries: {entry: TokenLogprob, offset: number}[]) =>
            entries.map(({entry, offset}) => this.logprobEntry(entry, offset));
        const reply: Reply = await this.conversation.complete(prepared.tokens, {
            sampling: prepared.sampling, fresh: !prepared.cachePrompt, signal: AbortSignal.any(signals),
            ...tracker != null ? {logprobs: {top: prepared.logprobs!, onLogprob: (entry: TokenLogprob) => tracker.push(entry)}} : {},
            onText: (chunk) => {
                const shown = stops.push(chunk);
                shownLength += shown.length;
                if (shown !== "") onText?.(shown, tracker && reported(tracker.shown(shownLength)));
                if (stops.stopped) stopped.abort();
            }
        });
        if (reply.stopReason === "aborted" && !stops.stopped) {
            if (this.shutdown.signal.aborted) throw new ShuttingDownError();
            throw new ClientGoneError(reply.tokenCount);
        }
        const rest = stops.flush();
        const text = stops.text;
        const finished = tracker?.finish(reply.text.length, text.length);
        if (rest !== "" || (finished != null && finished.rest.length > 0)) onText?.(rest, finished && reported(finished.rest));
        const gauge = prepared.gauge && reply.tokens.length > 0 && reply.context != null
            ? gaugeView(await (this.meter ??= new CoherenceMeter(this.loaded)).measure({context: reply.context, reply: reply.tokens,
                steering: controller?.appliedVector ?? null, policy, text}))
            : undefined;
        const readout = prepared.readout
            ? readoutView(await (this.reader ??= new ReplyReader(this.loaded)).read(reply.tokens, controller?.appliedState.entries ?? []))
            : undefined;
        return {
            text,
            finishReason: stops.stopped || reply.stopReason === "eos" ? "stop" : "length",
            promptTokens: prepared.tokens.length,
            completionTokens: reply.tokenCount,
            steering: view,
            ...gauge ? {gauge} : {},
            ...readout ? {readout} : {},
            ...finished ? {logprobs: reported(finished.kept)} : {},
            seconds: (performance.now() - started) / 1000
        };
    }

    /** requests waiting for their turn (the running one not counted) */
    get waitingCount(): number {
        return this.queue.waitingCount;
    }

    /** Stops taking requests: those waiting are refused, the running one is stopped; resolves when it has ended. */
    async close() {
        this.queue.close();
        this.shutdown.abort();
        await Promise.all([...this.running]);
        // the last batch's run closes once its requests have left the queue
        await this.queue.whenIdle();
        await this.batchEnded;
        for (const sequence of this.sequences) sequence.dispose();
        await this.meter?.free();
        await this.reader?.free();
        this.conversation.dispose();
    }

    /** the policy a steering runs under: its own (the field's, POST /v1/steering's), else the flags', else its preset's */
    private policyOf(own: SteerPolicy | undefined, preset: PresetSettings | undefined): SteerPolicy {
        return own ?? this.options.flags.steer ?? preset?.steer ?? "all";
    }

    private requireResolver(): SteeringResolver {
        if (this.resolver == null)
            throw new BadRequestError(`Steering is unavailable on this server: ${this.options.why ?? "no native helper"}`, {code: "steering_unavailable"});
        return this.resolver;
    }

    /**
     * A token's log-probabilities as a response writes them: with the text of it and of its step's top tokens. The
     * chosen token's text is its text in the reply (a special token's is empty, as the reply leaves it out); an
     * alternative that is a special token is named by its text ("</s>"), so a client sees which it was.
     */
    private logprobEntry(entry: TokenLogprob, offset: number): LogprobEntry {
        const chosen = this.textOf(entry.token, false);
        return {...chosen, logprob: entry.logprob, offset,
            top: entry.top.map((t) => ({...t.token === entry.token ? chosen : this.textOf(t.token, true), logprob: t.logprob}))};
    }

    private textOf(token: Token, nameSpecial: boolean): TokenText {
        const key = nameSpecial ? -1 - token : token;
        let known = this.tokenTexts.get(key);
        if (known == null) {
            const model = this.loaded.model;
            // after a plain word, so a leading space is kept (the detokenizer drops it at the start of a text)
            this.wordTokens ??= model.tokenize("a", false);
            const before = model.detokenize(this.wordTokens, false);
            const piece = model.detokenize([...this.wordTokens, token], false).slice(before.length);
            known = piece === "" && nameSpecial ? tokenText(model.detokenize([token], true), () => undefined)
                : tokenText(piece, () => vocabularyByte(this.loaded, token));
            this.tokenTexts.set(key, known);
        }
        return known;
    }

    /**
     * The prompt's tokens: raw as `ask --raw` makes them (the system text, when the server or a preset has one,
     * before it on its own line); chat through the model's template, the system prompt first unless the request has
     * a system message of its own.
     */
    private promptTokens(prompt: GenerationInput["prompt"], system: string | undefined): Token[] {
        if (prompt.kind === "raw") return tokenizePrompt(this.loaded.model, (system ? system + "\n" : "") + prompt.text);
        const hasSystem = prompt.messages.some((m) => m.role === "system");
        const messages = system && !hasSystem ? [{role: "system" as const, content: system}, ...prompt.messages] : prompt.messages;
        if ("wrapper" in this.template) return wrapperConversationTokens(this.template.wrapper, this.loaded, messages);
        try {
            return templateConversationTokens(this.template.template, this.loaded.model, messages);
        } catch (err) {
            // a template may raise on a conversation it does not take (roles that do not alternate, no user message)
            const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
            throw new BadRequestError(`The model's chat template refused these messages: ${why}`, {param: "messages", code: "template_error"});
        }
    }
}

/**
 * A conversation through a node-llama-cpp chat wrapper, as `steer-chat chat`'s session builds its prompt on a model
 * without a template (wrapperConversation.ts): the history, then an empty model response to fill; an empty system
 * message left out, as the chat leaves out an empty system prompt.
 */
function wrapperConversationTokens(wrapper: ChatWrapper, loaded: LoadedModel, messages: readonly ChatMessage[]): Token[] {
    const chatHistory: ChatHistoryItem[] = messages.filter((m) => !(m.role === "system" && m.content === "")).map((m) =>
        m.role === "system" ? {type: "system", text: m.content}
            : m.role === "user" ? {type: "user", text: m.content} : {type: "model", response: [m.content]});
    chatHistory.push({type: "model", response: []});
    return wrapper.generateContextState({chatHistory}).contextText.tokenize(loaded.model.tokenizer);
}

/** a wrapper's stop triggers that are plain text (those that are special tokens end a reply as end-of-generation) */
function wrapperStopTexts(wrapper: ChatWrapper): string[] {
    const {stopGenerationTriggers} = wrapper.generateContextState({chatHistory: [{type: "user", text: ""}, {type: "model", response: []}]});
    return stopGenerationTriggers.map((trigger) => LlamaText(trigger))
        .filter((text) => text.values.every((value) => typeof value === "string"))
        .map((text) => text.toString()).filter((text) => text !== "");
}

/** the byte a vocabulary token stands for ("<0xE2>"), read through node-llama-cpp's internal vocabulary accessor */
function vocabularyByte(loaded: LoadedModel, token: Token): number | undefined {
    const internal = (loaded.model as unknown as {_model?: {getTokenString?: (token: number) => string}})._model;
    const text = typeof internal?.getTokenString === "function" ? internal.getTokenString(token) : undefined;
    const match = text != null ? /^<0x([0-9A-Fa-f]{2})>$/.exec(text) : null;
    return match != null ? parseInt(match[1]!, 16) : undefined;
}

function gaugeView(g: MeasuredGauge): GaugeView {
    return {tokens: g.tokens, kl: g.kl, kl_max: g.klMax, repetition: g.repetition, perplexity: g.perplexity,
        steered_perplexity: g.steeredPerplexity, ...g.compression != null ? {compression: g.compression} : {},
        truncated: g.truncated, seconds: g.seconds};
}

function readoutView(readout: ReplyReadout | undefined): ReadoutView[] {
    return (readout?.vectors ?? []).map((v) => ({name: v.name, z: v.z, layers: v.layers.map((l) => ({layer: l.layer, z: l.z}))}));
}

function bestAuroc(layers: readonly {auroc: number}[]): number | undefined {
    const values = layers.map((l) => l.auroc).filter((a) => Number.isFinite(a));
    return values.length > 0 ? Math.max(...values) : undefined;
}

function definedOnly<T extends object>(obj: T): Partial<T> {
    return Object.fromEntries(Object.entries(obj).filter(([, v]) => v != null)) as Partial<T>;
}
