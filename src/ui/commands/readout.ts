import {readoutReport} from "../readoutView.js";
import {defineCommand} from "./command.js";

export const readout = defineCommand({
    kind: "readout", names: ["/readout"], usage: "/readout", help: "what each vector read on the last reply, per layer and per token (a heat map)",
    safeWhileBusy: true,
    parse: () => ({}),
    run(_, {session, lastReadout, note, columns}) {
        const last = lastReadout();
        note(last ? readoutReport(last, columns())
            : session.canRead ? "No read-out yet: it comes after a reply, with at least one vector loaded" : "The read-out is unavailable in this session");
    }
});
