import {defineCommand} from "./command.js";

export const clear = defineCommand({
    kind: "clear", names: ["/clear"], usage: "/clear", help: "forget the conversation (keeps the system prompt)", safeWhileBusy: false,
    parse: () => ({}),
    async run(_, {session, note, refreshUsage, clearLastReply}) {
        await session.clear();
        clearLastReply();
        refreshUsage();
        note("Conversation cleared."); // the session's transcript marks where it started again
    }
});
