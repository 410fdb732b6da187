import {describeSteerPolicy, parseSteerPolicy} from "../../steering/steerPolicy.js";
import {defineCommand, UsageError} from "./command.js";

const USAGE = "/steer reply|all|first:N|from:N";

export const steerPolicy = defineCommand({
    kind: "steerPolicy", names: ["/steer reply", "/steer all", "/steer"], usage: USAGE,
    help: "steer only the reply (the prompt and history are read unsteered), every token as llama.cpp does, only the first N reply tokens, or the reply from token N on",
    safeWhileBusy: true,
    parse: (rest, typed) => {
        const text = typed === "/steer" ? rest : typed.slice("/steer ".length);
        const policy = parseSteerPolicy(text);
        if (policy == null || (typed !== "/steer" && rest !== "")) throw new UsageError(`usage: ${USAGE} (first:N with N ≥ 1)`);
        return {policy};
    },
    run({policy}, {session, note}) {
        session.setSteerPolicy(policy);
        note(policy === "reply" ? "From the next turn only the reply is steered: the prompt and history are read unsteered"
            : policy === "all" ? "From the next turn every token is steered, as llama.cpp's --control-vector does"
            : `From the next turn the steering acts on ${describeSteerPolicy(policy)}, switched at that exact token`);
    }
});
