import {defineCommand, UsageError} from "./command.js";
import {trainingProgress} from "./progress.js";

export const train = defineCommand({
    kind: "train", names: ["/train"], usage: "/train RECIPE", help: "train a recipe's vector for this model (happy, formal, concise, confident, eiffel)",
    safeWhileBusy: false,
    parse(rest) {
        if (rest === "") throw new UsageError("usage: /train RECIPE (see vectors/recipes)");
        return {name: rest};
    },
    run: ({name}, {session, runJob, show, progress}) => runJob("training", "training", async (signal) =>
        show(await session.train(name, {signal, onProgress: trainingProgress(progress)})))
});
