import {expandHome} from "../../engine/userFiles.js";
import {parseVectorStrengthSpec} from "../../steering/inputGrammar.js";
import {defineCommand, UsageError, words} from "./command.js";
import {trainingJob} from "./progress.js";

export const vectorAdd = defineCommand({
    kind: "vectorAdd", names: ["/vector add"], usage: "/vector add NAME[:C|@Xσ]",
    help: "load a vector (name or path) with coefficient C (default 1), or a strength X in σ",
    // a name with a recipe may train for this model: a job of its own
    safeWhileBusy: false,
    /** the same grammar as --vector: NAME, NAME:C, NAME@Xσ (parseVectorStrengthSpec) */
    parse(rest) {
        const [spec, extra] = words(rest);
        if (spec == null || extra != null) throw new UsageError("usage: /vector add NAME[:C|@Xσ] (one vector, e.g. happy:0.5 or happy@0.5σ)");
        const {ref, ...strength} = parseVectorStrengthSpec(spec);
        return {ref: expandHome(ref), ...strength};
    },
    run: ({ref, coefficient, sigma}, context) => trainingJob(context, "adding the vector",
        (progress) => context.session.addVector(ref, sigma != null ? {sigma} : coefficient!, progress))
});
