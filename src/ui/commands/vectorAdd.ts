import {expandHome} from "../../engine/userFiles.js";
import {parseVectorSpec} from "../../steering/steeringState.js";
import {defineCommand, UsageError, words} from "./command.js";
import {trainingJob} from "./progress.js";

export const vectorAdd = defineCommand({
    kind: "vectorAdd", names: ["/vector add"], usage: "/vector add NAME[:C]", help: "load a vector (name or path) with coefficient C (default 1)",
    // a name with a recipe may train for this model: a job of its own
    safeWhileBusy: false,
    parse(rest) {
        const [spec] = words(rest);
        if (spec == null) throw new UsageError("usage: /vector add NAME[:C]");
        const {ref, coefficient} = parseVectorSpec(spec);
        return {ref: expandHome(ref), coefficient};
    },
    run: ({ref, coefficient}, context) => trainingJob(context, "adding the vector",
        (progress) => context.session.addVector(ref, coefficient, progress))
});
