import {defineCommand, UsageError, words} from "./command.js";

export const vectorRemove = defineCommand({
    kind: "vectorRemove", names: ["/vector rm", "/vector remove"], usage: "/vector rm NAME", help: "remove a vector", safeWhileBusy: true,
    parse(rest) {
        const [name] = words(rest);
        if (name == null) throw new UsageError("usage: /vector rm NAME");
        return {name};
    },
    run: ({name}, {session, note}) => note(`Next turn: ${session.stage((s) => s.remove(name)).describe()}`)
});
