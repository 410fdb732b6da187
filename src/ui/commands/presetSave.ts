import {defineCommand, UsageError, words} from "./command.js";

export const presetSave = defineCommand({
    kind: "presetSave", names: ["/preset save"], usage: "/preset save NAME [DESC]", help: "save the steering, system prompt and sampling as a preset",
    safeWhileBusy: true,
    parse(rest): {name: string, description?: string} {
        const [name] = words(rest);
        if (name == null) throw new UsageError("usage: /preset save NAME [DESCRIPTION]");
        // everything after the name is the description
        const description = rest.slice(rest.indexOf(name) + name.length).trim();
        return {name, ...(description !== "" ? {description} : {})};
    },
    run: async ({name, description}, {session, note}) => note((await session.savePreset(name, description)).join("\n"))
});
