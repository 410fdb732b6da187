import {defineCommand} from "./command.js";
import {helpText} from "./helpText.js";

export const help = defineCommand({
    kind: "help", names: ["/help", "/?"], usage: "/help", help: "this list (also F1, or ? in the steering panel)", safeWhileBusy: true,
    parse: () => ({}),
    run: (_, {note, commands, columns}) => note(helpText(commands(), columns()))
});
