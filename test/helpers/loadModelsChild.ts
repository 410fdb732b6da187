/**
 * Run as a child process (`node --import tsx loadModelsChild.ts FILE...`): loads each model with the real runtime
 * and decodes a few tokens, printing one JSON line per file ({file, outcome: "ran" | "refused", line}). An abort in
 * llama.cpp then ends only this process; the test sees which file was being loaded from the lines so far.
 */
import {errorMessage, UserFacingError} from "../../src/errors.js";
import {loadModel} from "../../src/engine/runtime.js";

for (const file of process.argv.slice(2)) {
    process.stdout.write(`${JSON.stringify({file, outcome: "started"})}\n`);
    let result: {outcome: "ran" | "refused" | "failed", line: string};
    try {
        const loaded = await loadModel(file, {gpu: false});
        try {
            const sequence = loaded.context.getSequence();
            const tokens = loaded.model.tokenize("the cat sat");
            let generated = 0;
            for await (const _token of sequence.evaluate(tokens.length > 0 ? tokens : [loaded.model.tokens.bos!])) {
                if (++generated >= 3) break;
            }
            sequence.dispose();
            result = {outcome: "ran", line: ""};
        } finally {
            await loaded.dispose();
        }
    } catch (err) {
        result = {outcome: err instanceof UserFacingError ? "refused" : "failed", line: errorMessage(err)};
    }
    process.stdout.write(`${JSON.stringify({file, ...result})}\n`);
}
