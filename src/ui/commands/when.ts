import {describeCondition, parseCondition} from "../../steering/conditionGate.js";
import {displayText} from "../../displayText.js";
import {UserFacingError} from "../../errors.js";
import {defineCommand, UsageError} from "./command.js";

const USAGE = "/when NAME>Z|NAME<Z|off";

export const when = defineCommand({
    kind: "when", names: ["/when"], usage: USAGE,
    help: "steer a reply only when its prompt's read-out z on vector NAME (as steer-chat read prints it) is above (or below) Z; off: always",
    safeWhileBusy: true,
    parse: (rest) => {
        if (rest === "off") return {condition: undefined};
        const condition = parseCondition(rest);
        if (condition == null) throw new UsageError(`usage: ${USAGE}`);
        return {condition};
    },
    async run({condition}, {session, note}) {
        const gates = session.gates;
        if (gates == null) throw new UserFacingError("Steering gates are unavailable in this session", "see the message at the top");
        await gates.setWhen(condition);
        note(condition == null ? "From the next reply the steering applies to every reply"
            : `From the next reply: steered only ${displayText(describeCondition(condition))} (the prompt's z is shown under each reply)`);
    }
});
