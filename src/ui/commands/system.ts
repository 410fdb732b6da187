import {defineCommand} from "./command.js";

export const system = defineCommand({
    kind: "system", names: ["/system"], usage: "/system <text>", help: "set the system prompt (empty text clears it)", safeWhileBusy: false,
    // the rest of the line, inner spaces and case kept
    parse: (rest) => ({text: rest}),
    run({text}, {session, note}) {
        session.setSystemPrompt(text);
        note(text === "" ? "System prompt cleared." : `System prompt set: ${text}`);
    }
});
