import {defineCommand, UsageError} from "./command.js";

export const steerOff = defineCommand({
    kind: "steerOff", names: ["/steer off"], usage: "/steer off", help: "switch every vector off", safeWhileBusy: true,
    parse(rest) {
        if (rest !== "") throw new UsageError("usage: /steer off");
        return {};
    },
    run: (_, {session, note}) => note(`Next turn: ${session.stage((s) => s.allOff()).describe()}`)
});
