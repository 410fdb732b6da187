import {UserFacingError} from "../../errors.js";
import {defineCommand, UsageError} from "./command.js";

const USAGE = "/steer code off|on";

export const steerCode = defineCommand({
    kind: "steerCode", names: ["/steer code"], usage: USAGE,
    help: "off: no steering while the reply is inside a fenced code block (``` or ~~~), switched at the exact token; on: steer it too (the default)",
    safeWhileBusy: true,
    parse: (rest) => {
        if (rest !== "off" && rest !== "on") throw new UsageError(`usage: ${USAGE}`);
        return {code: rest as "off" | "on"};
    },
    run({code}, {session, note}) {
        const gates = session.gates;
        if (gates == null) throw new UserFacingError("Steering gates are unavailable in this session", "see the message at the top");
        gates.code = code;
        note(code === "off" ? "From the next reply the steering is off inside fenced code blocks (switched at the token that opens and closes them)"
            : "From the next reply code blocks are steered too");
    }
});
