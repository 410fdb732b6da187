import {historyProgressText, reevaluateNote} from "../historyNotes.js";
import {defineCommand} from "./command.js";

export const reeval = defineCommand({
    kind: "reeval", names: ["/reeval"], usage: "/reeval", help: "evaluate the history again under the current steering now (Esc stops)",
    safeWhileBusy: false,
    parse: () => ({}),
    run: (_, {session, runJob, note, progress, refreshUsage}) => runJob("replying", "evaluating the history", async (signal) => {
        note(reevaluateNote(await session.reevaluate({
            signal,
            onProgress: (done, total) => progress(historyProgressText(done, total))
        })));
        refreshUsage();
    })
});
