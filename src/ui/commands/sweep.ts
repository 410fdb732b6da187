import {sweepTable, sweepValues} from "../../session/transcript.js";
import {decimal, parseCoefficient} from "../../steering/inputGrammar.js";
import {defineCommand, UsageError, words} from "./command.js";

/** a sweep writes at most this many replies */
const MAX_REPLIES = 41;
const USAGE = "usage: /sweep NAME A..B STEP";

export const sweep = defineCommand({
    kind: "sweep", names: ["/sweep"], usage: "/sweep NAME A..B STEP [control]",
    help: "the last prompt at each coefficient of NAME: perplexity, KL, repetition (control: a random direction too)",
    safeWhileBusy: false,
    parse(rest) {
        const [name, range, step, extra] = words(rest);
        if (extra != null && extra !== "control") throw new UsageError(`${USAGE} [control]: "${extra}" is not control`);
        const ends = range?.split("..");
        const stepValue = step != null ? decimal(step) : undefined;
        if (name == null || ends?.length !== 2 || stepValue == null || !(stepValue > 0)) throw new UsageError(`${USAGE}, e.g. /sweep happy -1..1 0.5`);
        // each end as a coefficient is read everywhere (decimal, within the bound)
        const from = parseCoefficient(ends[0]!, name);
        const to = parseCoefficient(ends[1]!, name);
        const control = extra === "control";
        // with the control each coefficient is two replies
        if (sweepValues(from, to, stepValue).length * (control ? 2 : 1) > MAX_REPLIES)
            throw new UsageError(`a sweep is limited to ${MAX_REPLIES} replies; use a larger STEP`);
        return {name, from, to, step: stepValue, control};
    },
    run: ({name, from, to, step, control}, {session, runJob, liveStream, record, columns}) => runJob("trial", "writing", async (signal) => {
        const rows = await session.sweep(name, sweepValues(from, to, step), () => liveStream(signal), {control});
        record(sweepTable(name, rows, columns()), "sweep");
    })
});
