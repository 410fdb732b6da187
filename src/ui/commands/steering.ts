import {defineCommand} from "./command.js";

/** how many of the last replies /steering lists */
const LAST_REPLIES = 5;

export const steering = defineCommand({
    kind: "steering", names: ["/steering"], usage: "/steering", help: "show the steering now and the steering each reply was made with",
    safeWhileBusy: true,
    parse: () => ({}),
    run(_, {session, note}) {
        note(session.describeSteering(LAST_REPLIES).join("\n"));
    }
});
