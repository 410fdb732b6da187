import {defineCommand, UsageError} from "./command.js";
import {trainingJob} from "./progress.js";

export const train = defineCommand({
    kind: "train", names: ["/train"], usage: "/train RECIPE", help: "train a recipe's vector for this model (happy, formal, concise, confident, eiffel)",
    safeWhileBusy: false,
    parse(rest) {
        if (rest === "") throw new UsageError("usage: /train RECIPE (see vectors/recipes)");
        return {name: rest};
    },
    run: ({name}, context) => trainingJob(context, "training", (progress) => context.session.train(name, progress))
});
