import {SAMPLING_SETTINGS, type SamplingSettingName} from "../../engine/sampling.js";
import {parseSamplingValue} from "../../steering/inputGrammar.js";
import {defineCommand, UsageError, words} from "./command.js";

export const set = defineCommand({
    kind: "set", names: ["/set"], usage: "/set NAME VALUE", help: "sampling: temperature, top-k, top-p, min-p, seed (or random), max-tokens",
    safeWhileBusy: true,
    /** `/set temperature 0.2`, `/set seed random` (a new seed each reply): values as the CLI's flags read them */
    parse(rest): {name: SamplingSettingName, value: number | undefined} {
        const [name, raw, extra] = words(rest);
        const usage = `usage: /set NAME VALUE with NAME one of ${Object.keys(SAMPLING_SETTINGS).join(", ")}`;
        if (name == null || raw == null || extra != null || !Object.hasOwn(SAMPLING_SETTINGS, name)) throw new UsageError(usage);
        return {name: name as SamplingSettingName, value: parseSamplingValue(name as SamplingSettingName, raw)};
    },
    run: ({name, value}, {session, note}) => note(session.setSampling(name, value))
});
