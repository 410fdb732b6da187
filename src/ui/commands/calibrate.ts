import {formatSigma} from "../../steering/strengthUnits.js";
import {defineCommand, UsageError, words} from "./command.js";

export const calibrate = defineCommand({
    kind: "calibrate", names: ["/calibrate"], usage: "/calibrate NAME",
    help: "find NAME's strongest strength each way that stays coherent (KL, repetition); sets its panel range", safeWhileBusy: false,
    parse(rest) {
        const [name] = words(rest);
        if (name == null) throw new UsageError("usage: /calibrate NAME (a loaded vector)");
        return {name};
    },
    run: ({name}, {session, runJob, progress, record}) => runJob("trial", "calibrating", async (signal) => {
        let probed = 0;
        const report = await session.calibrate(name, {signal, onPoint: (p) => {
            probed++;
            progress(`calibrating ${name}: ${probed} strengths probed, last ${formatSigma(p.sigma)} (KL ${p.kl.toFixed(2)}) · Esc stops`);
        }});
        record(report, "calibrate");
    })
});
