import {defineCommand} from "./command.js";

export const steerPolicy = defineCommand({
    kind: "steerPolicy", names: ["/steer reply", "/steer all"], usage: "/steer reply|all",
    help: "steer only the reply (the prompt and history are read unsteered), or every token as llama.cpp does", safeWhileBusy: true,
    parse: (_rest, typed) => ({policy: typed === "/steer reply" ? "reply" as const : "all" as const}),
    run({policy}, {session, note}) {
        session.setSteerPolicy(policy);
        note(policy === "reply" ? "From the next turn only the reply is steered: the prompt and history are read unsteered"
            : "From the next turn every token is steered, as llama.cpp's --control-vector does");
    }
});
