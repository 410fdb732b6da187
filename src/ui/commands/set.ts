import {SAMPLING_SETTINGS, type SamplingSettingName} from "../../engine/sampling.js";
import {defineCommand, UsageError, words} from "./command.js";

export const set = defineCommand({
    kind: "set", names: ["/set"], usage: "/set NAME VALUE", help: "sampling: temperature, top-k, top-p, min-p, seed (or random), max-tokens",
    safeWhileBusy: true,
    /** `/set temperature 0.2`, `/set seed random` (a new seed each reply) */
    parse(rest): {name: SamplingSettingName, value: number | undefined} {
        const [name, raw, extra] = words(rest);
        const usage = `usage: /set NAME VALUE with NAME one of ${Object.keys(SAMPLING_SETTINGS).join(", ")}`;
        if (name == null || raw == null || extra != null || !Object.hasOwn(SAMPLING_SETTINGS, name)) throw new UsageError(usage);
        const setting = SAMPLING_SETTINGS[name as SamplingSettingName];
        if (name === "seed" && raw === "random") return {name: "seed", value: undefined};
        const value = Number(raw);
        const max = "max" in setting ? setting.max : undefined;
        if (!Number.isFinite(value) || value < setting.min || (max != null && value > max) || (setting.integer && !Number.isInteger(value)))
            throw new UsageError(`Invalid value for ${name}: "${raw}" — use ${setting.integer ? "a whole number" : "a number"} >= ${setting.min}` +
                `${max != null ? ` and <= ${max}` : ""}${name === "seed" ? ", or random" : ""}`);
        return {name: name as SamplingSettingName, value};
    },
    run: ({name, value}, {session, note}) => note(session.setSampling(name, value))
});
