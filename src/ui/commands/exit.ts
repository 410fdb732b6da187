import {defineCommand} from "./command.js";

export const exit = defineCommand({
    kind: "exit", names: ["/exit", "/quit"], usage: "/exit", help: "quit (also Ctrl+C on an empty prompt)", safeWhileBusy: false,
    parse: () => ({}),
    run: (_, {exit: quit}) => quit()
});
