import {sweepTable, sweepValues} from "../../session/transcript.js";
import {COEFFICIENT_RANGE, coefficientProblem} from "../../steering/steeringState.js";
import {defineCommand, UsageError, words} from "./command.js";

/** a sweep writes at most this many replies */
const MAX_REPLIES = 41;
const USAGE = "usage: /sweep NAME A..B STEP";

export const sweep = defineCommand({
    kind: "sweep", names: ["/sweep"], usage: "/sweep NAME A..B STEP", help: "the last prompt answered at each coefficient of NAME, in a table",
    safeWhileBusy: false,
    parse(rest) {
        const [name, range, step] = words(rest);
        const match = range != null ? /^([-+]?[\d.]+)\.\.([-+]?[\d.]+)$/.exec(range) : null;
        const stepValue = Number(step);
        if (name == null || match == null || !(stepValue > 0)) throw new UsageError(`${USAGE}, e.g. /sweep happy -1..1 0.5`);
        const from = Number(match[1]);
        const to = Number(match[2]);
        if (!Number.isFinite(from) || !Number.isFinite(to)) throw new UsageError(USAGE);
        if (coefficientProblem(from) || coefficientProblem(to)) throw new UsageError(`a sweep's coefficients go ${COEFFICIENT_RANGE}`);
        if (Math.abs(to - from) / stepValue > MAX_REPLIES - 1) throw new UsageError(`a sweep is limited to ${MAX_REPLIES} replies; use a larger STEP`);
        return {name, from, to, step: stepValue};
    },
    run: ({name, from, to, step}, {session, runJob, liveStream, record, columns}) => runJob("trial", "writing", async (signal) => {
        const rows = await session.sweep(name, sweepValues(from, to, step), () => liveStream(signal));
        record(sweepTable(name, rows, columns()), {trial: "sweep"});
    })
});
