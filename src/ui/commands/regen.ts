import {promptEcho} from "../promptLayout.js";
import {defineCommand} from "./command.js";

export const regen = defineCommand({
    kind: "regen", names: ["/regen"], usage: "/regen", help: "write the last reply again with the current steering", safeWhileBusy: false,
    parse: () => ({}),
    run: (_, {session, runJob, liveStream, note, addReply}) => runJob("replying", "writing", async (signal) => {
        note(`↻ ${promptEcho(session.lastPrompt())}`);
        const stream = liveStream(signal, {commitLines: true});
        addReply((await session.regen(stream)).turn, stream.shown());
    })
});
