/**
 * The command-line surface: one table of options (used for parsing and for --help), and parsing into typed
 * options with one-line errors for unknown flags and bad values.
 */
import {parseArgs} from "node:util";
import {UserFacingError} from "../errors.js";
import {DEMO_MODEL} from "../engine/modelResolver.js";
import {HISTORY_POLICIES, type HistoryPolicy} from "../engine/historyCache.js";
import {codeSteeringOf, steerPolicyOf, type CodeSteering, type SteerPolicy} from "../steering/steerPolicy.js";
import {conditionOf, type Condition} from "../steering/conditionGate.js";
import {decimal, MAX_SIGMA, parseLayer, parseLayerRange, parseSamplingValue, parseVectorStrengthSpec, wholeNumber} from "../steering/inputGrammar.js";

type OptionSpec = {
    type: "string" | "boolean",
    short?: string,
    multiple?: boolean,
    value?: string,
    description: string
};

export const OPTIONS = {
    model: {type: "string", short: "m", value: "PATH|hf:URI|demo", description: "GGUF model file, a node-llama-cpp hf: URI to download, or demo (built in, offline)"},
    raw: {type: "boolean", description: "completion mode for base models: continue the text, no chat roles"},
    system: {type: "string", short: "s", value: "TEXT", description: "system prompt (raw mode: text put before the prompt)"},
    temperature: {type: "string", short: "t", value: "T", description: "sampling temperature; 0 = greedy, reproduces llama.cpp (default 0.8)"},
    "max-tokens": {type: "string", short: "n", value: "N", description: "most tokens in one reply (default 1024)"},
    seed: {type: "string", value: "N|random", description: "sampling seed, for reproducible replies (default random); train: the seed of the held-out split (default 0)"},
    vector: {type: "string", multiple: true, value: "FILE|NAME[:C|@Xσ]", description: "add a control vector with llama.cpp coefficient C (default 1), or a calibrated strength X in σ (@Xs also works); repeat for several"},
    layers: {type: "string", value: "A-B", description: "apply the --vector(s) to layers A..B only (llama.cpp's --control-vector-layer-range)"},
    preset: {type: "string", short: "p", value: "NAME", description: "start with a saved personality preset (steer-chat preset list)"},
    description: {type: "string", value: "TEXT", description: "with preset save: what the preset does"},
    positive: {type: "string", value: "FILE", description: "train: positive prompts, one a line (\\n escapes)"},
    negative: {type: "string", value: "FILE", description: "train: negative prompts, paired line by line with --positive"},
    recipe: {type: "string", value: "NAME", description: "train: a shipped contrast recipe (vectors/recipes) instead of prompt files"},
    describe: {type: "string", value: "TEXT", description: "train: a vector from a sentence (\"speaks like a pirate\"): its persona against a neutral one; cached per model"},
    "dry-run": {type: "boolean", description: "train --describe: print the contrast pairs it would build and exit"},
    method: {type: "string", value: "mean|pca|pca-center", description: "train: how differences become a direction (default mean)"},
    positions: {type: "string", value: "last|all", description: "train: use the last token (default) or every position"},
    scale: {type: "string", value: "unit|typical", description: "train: unit-norm directions (default) or the layer's typical hidden-state norm"},
    output: {type: "string", short: "o", value: "FILE.gguf", description: "train: where to write the vector (llama.cpp's format)"},
    layer: {type: "string", value: "N", description: "import: the layer the direction belongs to (its block's output)"},
    force: {type: "boolean", description: "preset save: replace your preset of that name; train/import: replace an --output that is not a vector; read: replace an --npy that is not an .npy"},
    file: {type: "string", value: "FILE", description: "read: the text to read, from a file"},
    json: {type: "boolean", description: "read: print the read-out as JSON (for scripts)"},
    npy: {type: "string", value: "FILE.npy", description: "read: write the per-token × per-layer projections as float32 .npy"},
    "across-layers": {type: "boolean", description: "read: read a one-layer direction at every layer, to check which layer it belongs to"},
    baseline: {type: "string", value: "FILE", description: "read: z-scores against this text (one without the concept) instead of the built-in neutral text"},
    steer: {type: "string", value: "all|reply|first:N|from:N", description: "steer every token (default, as llama.cpp), only the reply (the prompt and history read unsteered), only the first N reply tokens, or the reply from token N on"},
    "steer-code": {type: "string", value: "on|off", description: "off: no steering while the reply is inside a fenced code block (switched at the exact token)"},
    when: {type: "string", value: "NAME>Z|NAME<Z", description: "steer a reply only when its prompt's read-out z on vector NAME (as steer-chat read prints it) is above (or below) Z"},
    "max-kl": {type: "string", value: "X", description: "calibrate: the largest mean KL per token from the unsteered model, nats (default 1)"},
    "max-repetition": {type: "string", value: "R", description: "calibrate: the largest share of repeated 3-grams in a reply, 0-1 (default 0.3)"},
    "max-sigma": {type: "string", value: "X", description: "calibrate: how far to search each way, in σ (default 2)"},
    history: {type: "string", value: "keep|reeval", description: "after a steering change: keep the evaluated history (default, no wait) or evaluate it again"},
    "keep-cache": {type: "boolean", description: "the same as --history keep"},
    host: {type: "string", value: "ADDRESS", description: "serve: the address to listen on (default 127.0.0.1; any other needs --api-key)"},
    port: {type: "string", value: "N", description: "serve: the port to listen on (default 8080; 0 picks a free one)"},
    "api-key": {type: "string", value: "KEY", description: "serve: the key clients must send (Authorization: Bearer KEY); or STEER_CHAT_API_KEY"},
    queue: {type: "string", value: "N", description: "serve: the most requests waiting for the model; more get 429 (default 16)"},
    parallel: {type: "string", value: "N", description: "serve: the most requests with equal steering generated together (default 4; 1: one at a time)"},
    "context-size": {type: "string", short: "c", value: "N", description: "context size in tokens (default: the model's, at most 4096)"},
    threads: {type: "string", value: "N", description: "CPU threads (default: one per core)"},
    gpu: {type: "string", value: "auto|false", description: "GPU offloading: auto-detect, or false for CPU only (default auto)"},
    debug: {type: "boolean", description: "show llama.cpp warnings and stack traces"},
    help: {type: "boolean", short: "h", description: "show this help"},
    version: {type: "boolean", short: "v", description: "print the version"}
} satisfies Record<string, OptionSpec>;

export type CliCommand = "chat" | "ask" | "vectors" | "preset" | "train" | "import" | "read" | "calibrate" | "serve";

export type CliOptions = {
    command: CliCommand,
    prompt?: string,
    model?: string,
    raw: boolean,
    system?: string,
    temperature?: number,
    maxTokens?: number,
    seed?: number,
    vectors: string[],
    layers?: string,
    preset?: string,
    description?: string,
    positive?: string,
    negative?: string,
    recipe?: string,
    /** train: the behaviour to train a vector for, in words */
    describe?: string,
    dryRun: boolean,
    method: "mean" | "pca" | "pca-center",
    positions: "last" | "all",
    scale: "unit" | "typical",
    output?: string,
    layer?: number,
    file?: string,
    json: boolean,
    npy?: string,
    /** read: a one-layer direction read at every steerable layer (a check of an imported vector's layer) */
    acrossLayers: boolean,
    /** read: the text the z-scores are measured against (default: the built-in neutral text) */
    baseline?: string,
    /** positional words after the command (preset: ACTION NAME) */
    args: string[],
    force: boolean,
    /** --history (or --keep-cache); undefined when not given, so a preset's policy or the default applies */
    history?: HistoryPolicy,
    /** --steer; undefined when not given, so a preset's policy or the default (all) applies */
    steer?: SteerPolicy,
    /** --steer-code and --when (steering gates); undefined when not given */
    steerCode?: CodeSteering,
    when?: Condition,
    maxKl?: number,
    maxRepetition?: number,
    maxSigma?: number,
    /** serve: where to listen, the key clients must send, how many requests may wait */
    host?: string,
    port?: number,
    apiKey?: string,
    queue?: number,
    parallel?: number,
    contextSize?: number,
    threads?: number,
    gpu: "auto" | false,
    debug: boolean,
    help: boolean,
    version: boolean
};

const COMMANDS: CliCommand[] = ["chat", "ask", "vectors", "preset", "train", "import", "read", "calibrate", "serve"];

type OptionName = keyof typeof OPTIONS;

/** what every command takes */
const COMMON: OptionName[] = ["debug", "help", "version"];
/** what every command that loads a model takes */
const LOADING: OptionName[] = ["model", "context-size", "threads", "gpu"];
/** the steering and sampling a conversation starts with */
const STEERED: OptionName[] = ["raw", "system", "temperature", "max-tokens", "seed", "vector", "layers", "preset", "steer", "steer-code", "when"];

/**
 * The options each command takes: any other is refused naming the command (an option a command ignores is a
 * mistake the person should hear about), and `steer-chat COMMAND --help` lists exactly these.
 */
export const COMMAND_OPTIONS: Record<CliCommand, readonly OptionName[]> = {
    chat: [...LOADING, ...STEERED, "history", "keep-cache", ...COMMON],
    ask: [...LOADING, ...STEERED, ...COMMON],
    vectors: ["model", ...COMMON],
    preset: ["vector", "layers", "description", "system", "temperature", "max-tokens", "seed", "history", "keep-cache", "steer", "steer-code", "when", "force", ...COMMON],
    train: [...LOADING, "recipe", "describe", "dry-run", "positive", "negative", "method", "positions", "scale", "layers", "seed", "output", "force", ...COMMON],
    import: ["layer", "output", "force", ...COMMON],
    read: [...LOADING, "vector", "layers", "file", "baseline", "across-layers", "json", "npy", "force", ...COMMON],
    calibrate: [...LOADING, "raw", "system", "vector", "layers", "steer", "temperature", "seed", "max-tokens", "max-kl", "max-repetition",
        "max-sigma", ...COMMON],
    serve: ["model", "host", "port", "api-key", "queue", "parallel", "vector", "layers", "preset", "steer", "system", "temperature", "seed", "max-tokens",
        "context-size", "threads", "gpu", "debug", "help", "version"]
};

export function parseCli(argv: string[]): CliOptions {
    let parsed;
    try {
        parsed = parseArgs({args: joinNegativeValues(argv), options: OPTIONS, allowPositionals: true, strict: true, tokens: true});
    } catch (err) {
        throw explainParseError(err, argv);
    }
    const {values, positionals, tokens} = parsed;
    let command: CliCommand = "chat";
    const rest = [...positionals];
    if (rest.length > 0 && (COMMANDS as string[]).includes(rest[0]!)) command = rest.shift() as CliCommand;
    // `steer-chat import --help` shows the help, whatever words a run would need
    if (values.help == null) checkPositionals(command, rest);
    const taken = COMMAND_OPTIONS[command] as readonly string[];
    const refused = tokens.find((t) => t.kind === "option" && !taken.includes(t.name));
    if (refused?.kind === "option")
        throw new UserFacingError(`${command} does not take --${refused.name}`,
            `run steer-chat ${command} --help to see the options it takes`);
    // the specs and the range as the chat's /vector add and /layers read them, refused here before any model loads
    for (const spec of values.vector ?? []) parseVectorStrengthSpec(spec);
    if (values.layers != null) parseLayerRange(values.layers);

    return {
        command,
        prompt: command === "ask" || command === "read" ? rest[0] : undefined,
        args: rest,
        model: values.model,
        raw: (values.raw ?? false) || values.model === DEMO_MODEL, // the demo is a base model with no chat template
        system: values.system,
        // sampling values and layers read as /set and /layers read them (inputGrammar)
        temperature: values.temperature == null ? undefined : parseSamplingValue("temperature", values.temperature, "--temperature"),
        maxTokens: values["max-tokens"] == null ? undefined : parseSamplingValue("max-tokens", values["max-tokens"], "--max-tokens"),
        seed: values.seed == null ? undefined : parseSamplingValue("seed", values.seed, "--seed"),
        vectors: values.vector ?? [],
        layers: values.layers,
        preset: values.preset,
        description: values.description,
        positive: values.positive,
        negative: values.negative,
        recipe: values.recipe,
        describe: values.describe,
        dryRun: values["dry-run"] ?? false,
        method: oneOf("--method", values.method, ["mean", "pca", "pca-center"] as const, "mean"),
        positions: oneOf("--positions", values.positions, ["last", "all"] as const, "last"),
        scale: oneOf("--scale", values.scale, ["unit", "typical"] as const, "unit"),
        output: values.output,
        layer: values.layer == null ? undefined : parseLayer(values.layer, "--layer"),
        force: values.force ?? false,
        file: values.file,
        json: values.json ?? false,
        npy: values.npy,
        acrossLayers: values["across-layers"] ?? false,
        baseline: values.baseline,
        history: parseHistory(values.history, values["keep-cache"] ?? false),
        steer: values.steer == null ? undefined : steerPolicyOf("--steer", values.steer),
        steerCode: values["steer-code"] == null ? undefined : codeSteeringOf("--steer-code", values["steer-code"]),
        when: values.when == null ? undefined : conditionOf("--when", values.when),
        maxKl: parseNumber("--max-kl", values["max-kl"], {min: 0}),
        maxRepetition: parseNumber("--max-repetition", values["max-repetition"], {min: 0, max: 1}),
        maxSigma: parseNumber("--max-sigma", values["max-sigma"], {min: 0.001, max: MAX_SIGMA}),
        host: values.host,
        port: parseNumber("--port", values.port, {min: 0, max: 65535, integer: true}),
        apiKey: values["api-key"],
        queue: parseNumber("--queue", values.queue, {min: 0, max: 10_000, integer: true}),
        parallel: parseNumber("--parallel", values.parallel, {min: 1, max: 64, integer: true}),
        // an absurd size would spend a minute and gigabytes in node-llama-cpp's memory estimate before failing
        contextSize: parseNumber("--context-size", values["context-size"], {min: 16, max: MAX_CONTEXT_SIZE, integer: true}),
        threads: parseNumber("--threads", values.threads, {min: 1, integer: true}),
        gpu: parseGpu(values.gpu),
        debug: values.debug ?? false,
        help: values.help ?? false,
        version: values.version ?? false
    };
}

/** the words after the command each command needs: one file, an action and a name, one prompt or text */
function checkPositionals(command: CliCommand, rest: readonly string[]) {
    if ((command === "chat" || command === "vectors" || command === "train" || command === "calibrate" || command === "serve") && rest.length > 0)
        throw new UserFacingError(`Unknown command: ${rest[0]}`, `commands are ${COMMANDS.join(", ")}; run steer-chat --help`);
    if (command === "import" && rest.length !== 1)
        throw new UserFacingError("import takes one file", "steer-chat import direction.npy --layer N --output V.gguf");
    if (command === "preset" && rest.length === 0)
        throw new UserFacingError("preset needs an action", "steer-chat preset list | show NAME | save NAME --vector F:C ... | delete NAME");
    if (command === "read" && rest.length > 1)
        throw new UserFacingError("read takes one text", 'quote it: steer-chat read --model M --vector V "your text", or pass --file F');
    if (command === "preset" && rest.length > 2)
        throw new UserFacingError(`preset ${rest[0]} takes one name, got ${rest.length - 1}: ${rest.slice(1).join(" ")}`,
            'quote a name with spaces ("two words"); give what it does with --description "..."');
    if (command === "ask" && rest.length > 1)
        throw new UserFacingError("ask takes one prompt", 'quote it: steer-chat ask "your prompt"');
}

/** 4M tokens: beyond any model's training context */
export const MAX_CONTEXT_SIZE = 4 * 1024 * 1024;

function parseNumber(flag: string, raw: string | undefined,
    {min, max, integer = false}: {min: number, max?: number, integer?: boolean}): number | undefined {
    if (raw == null) return undefined;
    // decimal only, as everywhere (inputGrammar): no hex, no Infinity, no blanks
    const value = integer ? wholeNumber(raw) : decimal(raw);
    if (value == null || value < min || (max != null && value > max))
        throw new UserFacingError(`Invalid value for ${flag}: "${raw}"`,
            `expected ${integer ? "a whole number" : "a number"} >= ${min}${max != null ? ` and <= ${max}` : ""}`);
    return value;
}

function oneOf<const T extends string>(flag: string, raw: string | undefined, allowed: readonly T[], fallback: T): T {
    if (raw == null) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    throw new UserFacingError(`Invalid value for ${flag}: "${raw}"`, `use one of ${allowed.join(", ")}`);
}

function parseHistory(raw: string | undefined, keepCache: boolean): HistoryPolicy | undefined {
    const policy = raw == null ? undefined : oneOf("--history", raw, HISTORY_POLICIES, "keep");
    if (keepCache && policy === "reeval")
        throw new UserFacingError("--keep-cache contradicts --history reeval", "give one of them (--keep-cache is --history keep)");
    return keepCache ? "keep" : policy;
}

function parseGpu(raw: string | undefined): "auto" | false {
    if (raw == null || raw === "auto") return "auto";
    if (raw === "false" || raw === "cpu" || raw === "off") return false;
    throw new UserFacingError(`Invalid value for --gpu: "${raw}"`, "use --gpu auto or --gpu false");
}

const STRING_FLAGS = new Set(Object.entries(OPTIONS as Record<string, OptionSpec>).filter(([, spec]) => spec.type === "string")
    .flatMap(([name, spec]) => [`--${name}`, ...(spec.short ? [`-${spec.short}`] : [])]));

/** `--temperature -1` → `--temperature=-1`: node's parseArgs takes a value starting with "-" for an option. */
function joinNegativeValues(argv: readonly string[]): string[] {
    const joined: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i]!;
        if (arg === "--") return [...joined, ...argv.slice(i)];
        const next = argv[i + 1];
        if (STRING_FLAGS.has(arg) && next != null && /^-(?:\d|\.\d)/.test(next)) {
            joined.push(arg.startsWith("--") ? `${arg}=${next}` : `${arg}${next}`);
            i++;
        } else joined.push(arg);
    }
    return joined;
}

/** One line for a parseArgs failure; text starting with "-" (a prompt, a value) gets the way to pass it. */
function explainParseError(err: unknown, argv: readonly string[]): UserFacingError {
    const message = err instanceof Error ? err.message : String(err);
    const ambiguous = /Option '(?:-\w, )?(--[\w-]+)' argument is ambiguous/.exec(message);
    if (ambiguous) {
        const value = argv[argv.indexOf(ambiguous[1]!) + 1] ?? "";
        return new UserFacingError(`The value "${value}" for ${ambiguous[1]} starts with "-"`, `write it as ${ambiguous[1]}="${value}"`);
    }
    const dashed = argv.slice(0, argv.includes("--") ? argv.indexOf("--") : argv.length)
        .find((a) => /^-[^-]{2,}/.test(a) && !STRING_FLAGS.has(a.slice(0, 2)));
    if (/Unknown option '-\w'/.test(message) && dashed != null)
        return new UserFacingError(`Unknown option: ${dashed}`, `to send text that starts with "-", put -- before it: steer-chat ask -- "${dashed}"`);
    return new UserFacingError(cleanParseError(err), "run steer-chat --help to see the options");
}

function cleanParseError(err: unknown): string {
    const message = err instanceof Error ? err.message : String(err);
    const unknown = /Unknown option '([^']+)'/.exec(message);
    if (unknown) return `Unknown option: ${unknown[1]}`;
    const missing = /Option '([^']+)' argument missing/.exec(message);
    if (missing) return `Option ${missing[1]!.replace(/^-\w, /, "")} needs a value`;
    return message.split("\n")[0]!.replace(/\. To specify.*$/, "");
}

function optionRows(names: readonly string[] = Object.keys(OPTIONS)): string[] {
    return names.map((name) => {
        const spec = (OPTIONS as Record<string, OptionSpec>)[name]!;
        const flag = `${spec.short ? `-${spec.short}, ` : "    "}--${name}${spec.value ? ` ${spec.value}` : ""}`;
        return `  ${flag.padEnd(34)}${spec.description}`;
    });
}


/** `steer-chat serve --help`: the flags serve reads, its endpoints and the request's steering field. */
export function serveHelpText(version: string): string {
    return [
        `steer-chat ${version} serve — an OpenAI-compatible server for a local GGUF model, with steering per request`,
        "",
        "Usage:",
        "  steer-chat serve --model M [--host 127.0.0.1] [--port 8080] [--api-key KEY] [--vector NAME[:C]] [--preset P]",
        "",
        "Options (--vector, --preset, --steer, --system, --temperature and --seed set what a request leaves out;",
        "--max-tokens is the default max_tokens and the most a request may ask for):",
        ...optionRows(COMMAND_OPTIONS.serve),
        "",
        "Endpoints:",
        "  POST /v1/chat/completions   the model's chat template (as the chat)      POST /v1/completions   raw text (as ask --raw)",
        "  GET  /v1/models             the model, and the default steering          GET  /health",
        "  GET  /v1/steering           the default steering (POST changes it: the body is a steering field)",
        "  GET  /v1/steering/vectors   the vectors by name, with their quality scores",
        "",
        "Steering per request (extra body fields, which OpenAI's clients pass through as given):",
        "  \"steering\": {\"vectors\": [{\"name\": \"sue\", \"coefficient\": 0.8}, {\"name\": \"tim\", \"sigma\": 0.3, \"layers\": [1, 3]}], \"policy\": \"reply\"}",
        "  \"steering\": {\"preset\": \"cheerful\"}     \"steering\": false (unsteered)     no field: the server's default",
        "  \"gauge\": true    the reply's KL from the unsteered model, repetition and perplexity",
        "  \"readout\": true  each vector's read-out z on the reply",
        "Every response names the steering it was made with (\"steering\"; in a stream, the first and the last chunk).",
        "Requests run one at a time, each under its own steering, from a cleared cache: a greedy reply equals the same",
        "request sent alone, and steer-chat ask with the same steering. Stop with Ctrl+C or SIGTERM (exits 0).",
        "",
        "Example:",
        "  steer-chat serve --model demo --port 8080 &",
        "  curl -s localhost:8080/v1/completions -H 'Content-Type: application/json' \\",
        "    -d '{\"model\": \"stories260K\", \"prompt\": \"Once upon a time\", \"max_tokens\": 24, \"temperature\": 0, \"steering\": {\"vectors\": [{\"name\": \"sue\", \"coefficient\": 0.8}]}}'"
    ].join("\n");
}

/** each command's usage line, as the help lists them */
const USAGES: Record<CliCommand, string> = {
    chat: "  steer-chat [--model M] [options]          open the chat (no --model: pick or download one)",
    ask: "  steer-chat ask \"PROMPT\" --model M [...]    print one reply to stdout and exit (for scripts)",
    vectors: "  steer-chat vectors                        list the control vectors available by name",
    preset: "  steer-chat preset list|show NAME|save NAME --vector F:C ...|delete NAME   manage personality presets",
    train: "  steer-chat train --model M (--recipe NAME | --describe TEXT | --positive F --negative F) --output V.gguf   train a vector",
    import: "  steer-chat import FILE.npy|FILE.json [--layer N] --output V.gguf   a raw one-layer direction as a vector",
    read: "  steer-chat read --model M --vector V (\"TEXT\" | --file F) [--baseline F] [--across-layers] [--json] [--npy F.npy]   how much of V a text carries, per layer",
    calibrate: "  steer-chat calibrate --model M --vector V [--max-kl X] [--max-repetition R]   the strongest coherent strength each way, and its curve",
    serve: "  steer-chat serve --model M [--port 8080] [--vector ...] [--api-key K]   an OpenAI-compatible server, steering per request (serve --help)"
};

/** `steer-chat COMMAND --help`: its usage and exactly the options it takes. */
export function commandHelpText(command: CliCommand, version: string): string {
    if (command === "serve") return serveHelpText(version);
    return [`steer-chat ${version} ${command}`, "", "Usage:", USAGES[command], "", "Options:", ...optionRows(COMMAND_OPTIONS[command])].join("\n");
}

/** The help --help asks for: a command's own when one was named (`steer-chat ask --help`), else the whole program's. */
export function helpFor(argv: readonly string[], options: CliOptions, version: string): string {
    const named = argv.slice(0, argv.includes("--") ? argv.indexOf("--") : argv.length).includes(options.command);
    return named || options.command === "serve" ? commandHelpText(options.command, version) : helpText(version);
}

export function helpText(version: string): string {
    const rows = optionRows();
    return [
        `steer-chat ${version} — chat with a local GGUF model and steer it live with control vectors`,
        "",
        "Usage:",
        ...COMMANDS.map((command) => USAGES[command]),
        "",
        "Options:",
        ...rows,
        "",
        "In the chat: Enter sends · Esc or Ctrl+C stops a reply · Ctrl+C on an empty prompt or /exit quits · /help lists commands",
        "Examples:",
        "  steer-chat --model ./models/llama-3.2-1b-instruct.Q4_K_M.gguf",
        "  steer-chat ask --raw --temperature 0 --max-tokens 48 --model stories260K.gguf \"Once upon a time\"",
        "  steer-chat --model M --vector happy:0.8 --vector ./formal.gguf:-0.5 --layers 10-20",
        "  steer-chat --model M --vector happy@0.5σ --steer reply      (σ: a fraction of the layer's typical hidden-state norm)"
    ].join("\n");
}
