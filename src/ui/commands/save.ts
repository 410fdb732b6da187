import {expandHome} from "../../engine/userFiles.js";
import {defineCommand, UsageError} from "./command.js";

export const save = defineCommand({
    kind: "save", names: ["/save"], usage: "/save FILE [--force]",
    help: "write the transcript (.md Markdown, .txt plain text or .json) with each turn's steering (--force: over a file)",
    safeWhileBusy: false,
    parse(rest) {
        // a trailing --force allows writing over an existing file
        const file = rest.replace(/\s+--force$/, "");
        if (file === "" || file === "--force") throw new UsageError("usage: /save FILE.md, FILE.txt or FILE.json (add --force to write over a file)");
        // typed in the chat, no shell expands ~
        return {file: expandHome(file), force: file !== rest};
    },
    run: ({file, force}, {session, note}) => note(session.saveTranscript(file, force))
});
