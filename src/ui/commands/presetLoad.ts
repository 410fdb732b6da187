import {defineCommand, UsageError, words} from "./command.js";
import {trainingJob} from "./progress.js";

export const presetLoad = defineCommand({
    kind: "presetLoad", names: ["/preset load"], usage: "/preset load NAME", help: "load a preset (its system prompt and sampling too)",
    // a vector that does not fit this model but has a recipe is trained first: a job, with progress, stoppable
    safeWhileBusy: false,
    parse(rest) {
        const [name] = words(rest);
        if (name == null) throw new UsageError("usage: /preset load NAME");
        return {name};
    },
    run: ({name}, context) => trainingJob(context, "loading the preset", (progress) => context.session.loadPreset(name, progress))
});
