import {defineCommand} from "./command.js";

/** how many of the last replies /steering lists */
const LAST_REPLIES = 5;

export const steering = defineCommand({
    kind: "steering", names: ["/steering"], usage: "/steering", help: "show the steering now and the steering each reply was made with",
    safeWhileBusy: true,
    parse: () => ({}),
    run(_, {session, messages, note}) {
        const all = messages();
        const cleared = all.map((m) => m.cleared === true).lastIndexOf(true);
        const sinceClear = all.slice(cleared + 1);
        note(session.describeSteering(sinceClear.filter((m) => m.role === "assistant"), LAST_REPLIES).join("\n"));
    }
});
