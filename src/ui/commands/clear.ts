import {defineCommand} from "./command.js";

export const clear = defineCommand({
    kind: "clear", names: ["/clear"], usage: "/clear", help: "forget the conversation (keeps the system prompt)", safeWhileBusy: false,
    parse: () => ({}),
    async run(_, {session, record, refreshUsage, clearLastReply}) {
        await session.clear();
        clearLastReply();
        refreshUsage();
        record("Conversation cleared.", {cleared: true});
    }
});
