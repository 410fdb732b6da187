import {HISTORY_POLICIES, type HistoryPolicy} from "../../engine/historyCache.js";
import {historyNote} from "../historyNotes.js";
import {defineCommand, UsageError} from "./command.js";

export const history = defineCommand({
    kind: "history", names: ["/history"], usage: "/history keep|reeval",
    help: "after a steering change keep the evaluated history, or evaluate it again (no word: show)", safeWhileBusy: true,
    parse(rest): {policy?: HistoryPolicy} {
        if (rest === "") return {};
        if (!(HISTORY_POLICIES as readonly string[]).includes(rest)) throw new UsageError(`usage: /history ${HISTORY_POLICIES.join("|")}`);
        return {policy: rest as HistoryPolicy};
    },
    run({policy}, {session, note}) {
        if (policy) session.setHistoryPolicy(policy);
        note(historyNote(session.conversation.historyPolicy, session.contextUsage().staleTokens, policy != null));
    }
});
