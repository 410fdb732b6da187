import {sideBySide} from "../../session/transcript.js";
import {defineCommand} from "./command.js";

export const compare = defineCommand({
    kind: "compare", names: ["/compare"], usage: "/compare", help: "the last prompt answered with steering off and on, side by side; the steered reply replaces the last one",
    safeWhileBusy: false,
    parse: () => ({}),
    run: (_, {session, runJob, liveStream, note, record, addReply, columns}) => runJob("trial", "writing", async (signal) => {
        const steered = session.requireSteering().state.describe();
        const result = await session.compare(() => liveStream(signal));
        if (result.kind === "stoppedOff") return note("/compare stopped before the reply without steering was complete: no comparison");
        addReply(result.on); // the session marked the reply it replaces
        if (result.kind === "stoppedOn")
            return note("/compare stopped before the steered reply was complete: no comparison (the partial reply is kept, marked)");
        record(sideBySide({title: "steering off", text: result.off.text}, {title: steered, text: result.on.reply.text}, columns()), "compare");
        note("/compare: the steered reply replaces the last reply in the conversation (the earlier one stays in /save, marked replaced)");
    })
});
