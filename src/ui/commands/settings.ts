import {defineCommand} from "./command.js";

export const settings = defineCommand({
    kind: "settings", names: ["/settings"], usage: "/settings", help: "show the settings in use and where each came from", safeWhileBusy: true,
    parse: () => ({}),
    run: (_, {session, note}) => note(session.describeSettings())
});
