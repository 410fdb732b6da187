import {errorMessage} from "../../errors.js";
import {checkVectorName} from "../../session/describedVector.js";
import {checkDescription} from "../../training/describedVectors.js";
import {defineCommand, UsageError} from "./command.js";
import {trainingJob} from "./progress.js";

const USAGE = '/vector new NAME "DESCRIPTION"';

/** the description as typed, without one pair of quotes around it */
function unquoted(text: string): string {
    const quoted = /^(["'“])([\s\S]*)(["'”])$/u.exec(text);
    return quoted != null && (quoted[1] === quoted[3] || (quoted[1] === "“" && quoted[3] === "”")) ? quoted[2]! : text;
}

export const vectorNew = defineCommand({
    kind: "vectorNew", names: ["/vector new"], usage: USAGE,
    help: "train a vector for this model from a sentence (cached) and stage it under NAME at +0.1σ",
    // it trains: a job of its own, with progress, Esc stops it
    safeWhileBusy: false,
    parse(rest) {
        const match = /^(\S+)\s+([\s\S]+)$/.exec(rest);
        if (match == null) throw new UsageError(`usage: ${USAGE}, e.g. /vector new pirate "speaks like a pirate"`);
        try {
            return {name: checkVectorName(match[1]!), description: checkDescription(unquoted(match[2]!.trim()))};
        } catch (err) {
            throw new UsageError(`${errorMessage(err)} (usage: ${USAGE})`);
        }
    },
    run: ({name, description}, context) => trainingJob(context, `training ${name}`,
        (progress) => context.session.newVector(name, description, progress))
});
