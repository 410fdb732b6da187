import {defineCommand} from "./command.js";

/** `/system --clear` clears the prompt; `/system` alone shows the one in use */
const CLEAR = "--clear";

export const system = defineCommand({
    kind: "system", names: ["/system"], usage: "/system <text>", help: "set the system prompt (alone: show it; --clear: none)",
    safeWhileBusy: false,
    // the rest of the line, inner spaces and case kept
    parse: (rest) => (rest === "" ? {text: undefined} : {text: rest === CLEAR ? "" : rest}),
    run({text}, {session, note}) {
        if (text == null) {
            const current = session.conversation.systemPrompt;
            return note(current == null ? "No system prompt (/system TEXT sets one)" : `System prompt: ${current}`);
        }
        session.setSystemPrompt(text);
        note(text === "" ? "System prompt cleared." : `System prompt set: ${text}`);
    }
});
