import {defineCommand} from "./command.js";

export const presetList = defineCommand({
    kind: "presetList", names: ["/preset list"], usage: "/preset list", help: "list presets", safeWhileBusy: true,
    parse: () => ({}),
    run: (_, {session, note}) => note(session.listPresets().join("\n") || "No presets yet: /preset save NAME")
});
