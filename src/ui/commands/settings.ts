import {defineCommand} from "./command.js";

export const settings = defineCommand({
    kind: "settings", names: ["/settings"], usage: "/settings", help: "show the sampling in use", safeWhileBusy: true,
    parse: () => ({}),
    run: (_, {session, note}) => note(session.describeSettings())
});
