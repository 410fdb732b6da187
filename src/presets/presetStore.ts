/**
 * Presets: the user's (stored with `conf`, schema-validated, in the config folder) and the shipped ones (JSON files
 * in presets/, read-only: they can be copied under another name, never overwritten or deleted).
 * A corrupted store is moved aside to a backup with a message, never silently dropped.
 */
import {existsSync, readdirSync, readFileSync, renameSync} from "node:fs";
import path from "node:path";
import Conf from "conf";
import {UserFacingError} from "../engine/errors.js";
import {configDir, packageRoot} from "../config/paths.js";
import {withFileLock} from "./fileLock.js";
import {PRESET_NAME, presetJsonSchema, presetProblem, type Preset} from "./presetSchema.js";

export type PresetOrigin = "user" | "shipped";
export type StoredPreset = {preset: Preset, origin: PresetOrigin};

type StoreShape = {presets: Record<string, Preset>};

export function shippedPresetsDir() {
    return path.join(packageRoot(), "presets");
}

export class PresetStore {
    /** messages for the user about problems met while opening (e.g. a corrupted store set aside) */
    readonly notices: string[] = [];
    private readonly conf: Conf<StoreShape>;
    private readonly shipped: Map<string, Preset>;

    constructor({dir = configDir(), shippedDir = shippedPresetsDir()}: {dir?: string, shippedDir?: string} = {}) {
        this.shipped = readShippedPresets(shippedDir, this.notices);
        this.conf = this.openConf(dir);
    }

    get file() {
        return this.conf.path;
    }

    list(): StoredPreset[] {
        const user = Object.values(this.readUser()).map((preset) => ({preset, origin: "user" as const}));
        const shipped = [...this.shipped.values()].map((preset) => ({preset, origin: "shipped" as const}));
        return [...user, ...shipped].sort((a, b) => a.preset.name.localeCompare(b.preset.name));
    }

    get(name: string): StoredPreset {
        const user = this.readUser()[name];
        if (user) return {preset: user, origin: "user"};
        const shipped = this.shipped.get(name);
        if (shipped) return {preset: shipped, origin: "shipped"};
        throw new UserFacingError(`No preset named "${name}"`, "steer-chat preset list shows them");
    }

    save(preset: Preset): void {
        if (!PRESET_NAME.test(preset.name))
            throw new UserFacingError(`Invalid preset name "${preset.name}"`, "use 1-64 letters, digits, . _ or -");
        if (this.shipped.has(preset.name))
            throw new UserFacingError(`"${preset.name}" is a shipped preset and cannot be overwritten`, "save it under another name to make your own copy");
        const problem = presetProblem(preset);
        if (problem) throw new UserFacingError(`Invalid preset "${preset.name}": ${problem}`);
        this.locked(() => this.conf.set(`presets.${preset.name}`, preset));
    }

    delete(name: string): void {
        if (this.shipped.has(name)) throw new UserFacingError(`"${name}" is a shipped preset and cannot be deleted`);
        this.locked(() => {
            const presets = this.readUser();
            if (!(name in presets)) throw new UserFacingError(`No preset named "${name}" in your presets`, "steer-chat preset list shows them");
            delete presets[name];
            this.conf.set("presets", presets);
        });
    }

    private readUser(): Record<string, Preset> {
        return {...(this.conf.get("presets") ?? {})};
    }

    private locked<T>(work: () => T): T {
        return withFileLock(this.conf.path + ".lock", work);
    }

    private openConf(dir: string): Conf<StoreShape> {
        const open = () => {
            const conf = new Conf<StoreShape>({
                projectName: "steer-chat", cwd: dir, configName: "presets", clearInvalidConfig: false,
                accessPropertiesByDotNotation: true,
                schema: {presets: {type: "object", additionalProperties: presetJsonSchema, default: {}}} as never
            });
            void conf.store; // read once now so a corrupted file is found here, not mid-save
            return conf;
        };
        try {
            return open();
        } catch (err) {
            const file = path.join(dir, "presets.json");
            if (!existsSync(file)) throw err;
            const backup = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, "-")}`;
            renameSync(file, backup);
            this.notices.push(`Your presets file ${file} was unreadable (${(err as Error).message.split("\n")[0]}); it was moved to ${backup} and a new one started`);
            return open();
        }
    }
}

function readShippedPresets(dir: string, notices: string[]): Map<string, Preset> {
    const presets = new Map<string, Preset>();
    let files: string[] = [];
    try {
        files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
    } catch {
        return presets;
    }
    for (const f of files) {
        const file = path.join(dir, f);
        try {
            const value = JSON.parse(readFileSync(file, "utf8")) as unknown;
            const problem = presetProblem(value);
            if (problem) throw new Error(problem);
            presets.set((value as Preset).name, value as Preset);
        } catch (err) {
            notices.push(`Skipped shipped preset ${file}: ${(err as Error).message}`);
        }
    }
    return presets;
}
