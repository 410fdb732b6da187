import {defineCommand, UsageError, words} from "./command.js";
import {trainingProgress} from "./progress.js";

export const presetLoad = defineCommand({
    kind: "presetLoad", names: ["/preset load"], usage: "/preset load NAME", help: "load a preset (its system prompt and sampling too)",
    // a vector that does not fit this model but has a recipe is trained first: a job, with progress, stoppable
    safeWhileBusy: false,
    parse(rest) {
        const [name] = words(rest);
        if (name == null) throw new UsageError("usage: /preset load NAME");
        return {name};
    },
    run: ({name}, {session, runJob, show, progress}) => runJob("training", "loading the preset", async (signal) =>
        show(await session.loadPreset(name, {signal, onProgress: trainingProgress(progress)})))
});
