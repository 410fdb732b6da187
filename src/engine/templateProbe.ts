/**
 * A model's chat template is code from the model file: `{% for i in range(100000000) %}` runs for minutes and can
 * take gigabytes, on the main thread, where no key or signal gets through. Before a template is used it is rendered
 * once in a child process bounded in time and memory (a worker thread is not enough: an allocation too large for
 * V8 ends the whole process, not only the worker); a template that does not render within them is not used.
 */
import {spawnSync} from "node:child_process";
import {createRequire} from "node:module";

export type ProbeLimits = {
    /** default 10000: a real template renders in milliseconds; starting the child can take seconds on a busy machine */
    timeoutMs?: number,
    /** default 256: the child's heap */
    maxMemoryMb?: number
};

/** runs in the child: renders each context, then says how it went on stdout */
const CHILD = `
let input = "";
process.stdin.on("data", (d) => { input += d; }).on("end", () => {
    const {source, contexts, jinjaPath} = JSON.parse(input);
    let outcome;
    try {
        const {Template} = require(jinjaPath);
        const template = new Template(source);
        for (const context of contexts) template.render(context);
        outcome = {ok: true};
    } catch (err) {
        outcome = {ok: false, problem: String(err && err.message || err).split("\\n")[0]};
    }
    process.stdout.write(JSON.stringify(outcome));
});
`;

/**
 * How a probe went: rendered; failed as a template does (an error it raises, a syntax error); ran away; or could not
 * be run at all (no child process: the template is then used unchecked, as before there was a probe).
 */
export type ProbeResult = {kind: "rendered"} | {kind: "failed", problem: string} | {kind: "runaway", problem: string}
    | {kind: "unchecked", problem: string};

const cache = new Map<string, ProbeResult>();

/**
 * Renders `source` with each context in a worker bounded in time and memory; a runaway is one that did not finish
 * within the bounds. Results are kept per template for the process.
 */
export function probeTemplate(source: string, contexts: readonly object[],
    {timeoutMs = 10_000, maxMemoryMb = 256}: ProbeLimits = {}): ProbeResult {
    const key = JSON.stringify([source, contexts, timeoutMs, maxMemoryMb]);
    const cached = cache.get(key);
    if (cached) return cached;
    const jinjaPath = createRequire(import.meta.url).resolve("@huggingface/jinja");
    const child = spawnSync(process.execPath, [`--max-old-space-size=${maxMemoryMb}`, "-e", CHILD], {
        input: JSON.stringify({source, contexts, jinjaPath}), timeout: timeoutMs, killSignal: "SIGKILL",
        encoding: "utf8", maxBuffer: 1024 * 1024, stdio: ["pipe", "pipe", "ignore"]
    });
    if (child.error != null && (child.error as NodeJS.ErrnoException).code !== "ETIMEDOUT")
        return {kind: "unchecked", problem: `the template check could not start (${(child.error as NodeJS.ErrnoException).code ?? child.error.message})`};
    let outcome: {ok: boolean, problem?: string} | undefined;
    try {
        outcome = child.status === 0 ? JSON.parse(child.stdout) : undefined;
    } catch {
        outcome = undefined;
    }
    const result: ProbeResult = outcome == null ? {kind: "runaway", problem: `it does not render within ${timeoutMs / 1000} s and ${maxMemoryMb} MB`}
        : outcome.ok ? {kind: "rendered"} : {kind: "failed", problem: outcome.problem ?? "it does not render"};
    cache.set(key, result);
    return result;
}
