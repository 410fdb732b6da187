import {sweepTable, sweepValues} from "../../session/transcript.js";
import {COEFFICIENT_RANGE, coefficientProblem} from "../../steering/steeringState.js";
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
        const match = range != null ? /^([-+]?[\d.]+)\.\.([-+]?[\d.]+)$/.exec(range) : null;
        const stepValue = Number(step);
        if (name == null || match == null || !(stepValue > 0)) throw new UsageError(`${USAGE}, e.g. /sweep happy -1..1 0.5`);
        const from = Number(match[1]);
        const to = Number(match[2]);
        if (!Number.isFinite(from) || !Number.isFinite(to)) throw new UsageError(USAGE);
        if (coefficientProblem(from) || coefficientProblem(to)) throw new UsageError(`a sweep's coefficients go ${COEFFICIENT_RANGE}`);
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
