import {defineCommand, UsageError, words} from "./command.js";

export const vectorEnable = defineCommand({
    kind: "vectorEnable", names: ["/vector off", "/vector on"], usage: "/vector off|on NAME", help: "switch a vector off or on", safeWhileBusy: true,
    parse(rest, typed) {
        const [name] = words(rest);
        if (name == null) throw new UsageError(`usage: ${typed} NAME`);
        return {name, enabled: typed === "/vector on"};
    },
    run: ({name, enabled}, {session, note}) => note(`Next turn: ${session.stage((s) => s.setEnabled(name, enabled)).describe()}`)
});
