import {defineCommand} from "./command.js";

/** how many of the last replies /steering lists */
const LAST_REPLIES = 5;

export const steering = defineCommand({
    kind: "steering", names: ["/steering"], usage: "/steering", help: "show the steering now and the steering each reply was made with",
    safeWhileBusy: true,
    parse: () => ({}),
    run(_, {session, messages, note}) {
        const replies = messages().filter((m) => m.role === "assistant");
        note(session.describeSteering(replies.map((m) => m.steering ?? []), LAST_REPLIES).join("\n"));
    }
});
