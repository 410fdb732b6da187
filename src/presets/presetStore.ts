/**
 * Presets: the user's (one JSON file in the config folder, presets.json) and the shipped ones (JSON files in presets/,
 * read-only: they can be copied under another name, never overwritten or deleted).
 *
 * The file is `{"presets": {"NAME": {...}}}`, the shape earlier versions wrote with `conf`. It is read into a Map and
 * never accessed by dotted paths or plain property lookups, so any valid name works ("constructor", "v1.2", "a.b").
 * Reading never changes anything. A preset that is invalid is skipped with a notice naming it, and the others stay;
 * the next save sets it aside, exactly as it was written, in a `.invalid-…` file beside the store (other top-level
 * keys are kept as written too: nothing of the user's is re-serialised). Only a file that does not parse is corrupt:
 * the next save moves it to a `.corrupt-…` backup. A file that cannot be read (EACCES, a FIFO, too large…) is an
 * error naming the file and the fix, and is never moved. It is read as every file steer-chat keeps (userFiles.ts:
 * a regular file, never blocking, bounded); writes are atomic and locked against other running instances.
 */
import {readdirSync, renameSync} from "node:fs";
import path from "node:path";
import {makeFolder, writeFileAtomic} from "../engine/atomicWrite.js";
import {readRegularFileIfExists} from "../engine/userFiles.js";
import {UserFacingError} from "../errors.js";
import {configDir, packageRoot} from "../config/paths.js";
import {withFileLock} from "./fileLock.js";
import {PRESET_NAME, PRESET_NAME_RULE, presetProblem, quoted, type Preset} from "./presetSchema.js";

export type PresetOrigin = "user" | "shipped";
export type StoredPreset = {preset: Preset, origin: PresetOrigin};

/** a preset that is not valid: its key and its JSON text exactly as written (so `1e309` stays `1e309`) */
type InvalidPreset = {key: string, raw: string, problem: string};
type StoreContents =
    | {ok: true, presets: Map<string, Preset>, invalid: InvalidPreset[], other: [key: string, raw: string][]}
    | {ok: false, problem: string};

/** far more than thousands of presets; a larger file is not read */
export const MAX_PRESETS_FILE_BYTES = 16 * 1024 * 1024;

/** The presets file (or its folder) cannot be read or written: permissions, a folder or FIFO in the way… */
export class PresetStoreAccessError extends UserFacingError {
    constructor(file: string, err: NodeJS.ErrnoException | UserFacingError, verb: "read" | "write") {
        const hints: Record<string, string> = {
            EACCES: `fix its permissions (chmod u+rw ${file}) or set STEER_CHAT_CONFIG_DIR to another folder`,
            EPERM: `fix its permissions (chmod u+rw ${file}) or set STEER_CHAT_CONFIG_DIR to another folder`,
            EISDIR: "it is a folder: move it away",
            ENOTDIR: `a part of ${path.dirname(file)} is a file, not a folder: move it away or set STEER_CHAT_CONFIG_DIR`,
            ENOENT: `its folder ${path.dirname(file)} cannot be made there: set STEER_CHAT_CONFIG_DIR to a folder you can write`
        };
        if (err instanceof UserFacingError) super(err.message, "move it away, or set STEER_CHAT_CONFIG_DIR to another folder");
        else super(`Cannot ${verb} your presets file ${file}: ${err.code ?? err.message}`, hints[err.code ?? ""] ?? "check the file and its folder");
        this.name = "PresetStoreAccessError";
    }
}

/** Saving over a preset of yours without asking to replace it. */
export class PresetExistsError extends UserFacingError {
    constructor(name: string) {
        super(`You already have a preset named "${name}"`, "pass --force to replace it (its description and sampling too), or choose another name");
        this.name = "PresetExistsError";
    }
}

export function shippedPresetsDir() {
    return path.join(packageRoot(), "presets");
}

export class PresetStore {
    /** messages for the user about problems met while opening (an invalid preset skipped, a file that does not parse) */
    readonly notices: string[] = [];
    readonly file: string;
    private readonly shipped: Map<string, Preset>;

    /** called when a save finds the lock held by another steer-chat and waits for it */
    private readonly onLockWait: ((lockPath: string) => void) | undefined;

    constructor({dir = configDir(), shippedDir = shippedPresetsDir(), onLockWait}:
        {dir?: string, shippedDir?: string, onLockWait?: (lockPath: string) => void} = {}) {
        this.file = path.join(dir, "presets.json");
        this.onLockWait = onLockWait;
        this.shipped = readShippedPresets(shippedDir, this.notices);
        this.notices.push(...this.readNotices(this.read()));
    }

    list(): StoredPreset[] {
        const user = [...this.userPresets().values()].map((preset) => ({preset, origin: "user" as const}));
        const shipped = [...this.shipped.values()].map((preset) => ({preset, origin: "shipped" as const}));
        return [...user, ...shipped].sort((a, b) => a.preset.name.localeCompare(b.preset.name));
    }

    get(name: string): StoredPreset {
        const user = this.userPresets().get(name);
        if (user) return {preset: user, origin: "user"};
        const shipped = this.shipped.get(name);
        if (shipped) return {preset: shipped, origin: "shipped"};
        throw new UserFacingError(`No preset named "${name}"`, "steer-chat preset list shows them");
    }

    /**
     * Saves a preset of the user's. With `replace: false` an existing one of that name is refused (PresetExistsError).
     * Returns notes on what the write set aside (invalid presets, a file that did not parse).
     */
    async save(preset: Preset, {replace = true}: {replace?: boolean} = {}): Promise<string[]> {
        if (!PRESET_NAME.test(preset.name)) throw new UserFacingError(`Invalid preset name ${quoted(preset.name)}`, PRESET_NAME_RULE);
        if (this.shipped.has(preset.name))
            throw new UserFacingError(`"${preset.name}" is a shipped preset and cannot be overwritten`, "save it under another name to make your own copy");
        const problem = presetProblem(preset);
        if (problem) throw new UserFacingError(`Invalid preset "${preset.name}": ${problem}`);
        return this.change((presets) => {
            if (!replace && presets.has(preset.name)) throw new PresetExistsError(preset.name);
            presets.set(preset.name, preset);
        });
    }

    async delete(name: string): Promise<string[]> {
        if (this.shipped.has(name)) throw new UserFacingError(`"${name}" is a shipped preset and cannot be deleted`);
        return this.change((presets) => {
            if (!presets.delete(name)) throw new UserFacingError(`No preset named "${name}" in your presets`, "steer-chat preset list shows them");
        });
    }

    private userPresets(): Map<string, Preset> {
        const contents = this.read();
        return contents.ok ? contents.presets : new Map();
    }

    private read(): StoreContents {
        let bytes: Buffer | undefined;
        try {
            bytes = readRegularFileIfExists(this.file, "Your presets file", {maxBytes: MAX_PRESETS_FILE_BYTES});
        } catch (err) {
            throw new PresetStoreAccessError(this.file, err as NodeJS.ErrnoException | UserFacingError, "read");
        }
        return bytes == null ? {ok: true, presets: new Map(), invalid: [], other: []} : parseStore(bytes.toString("utf8"));
    }

    private readNotices(contents: StoreContents): string[] {
        if (!contents.ok)
            return [`Your presets file ${this.file} does not parse (${contents.problem}), so your presets are not shown; it is left as it is — fix it, or the next preset you save moves it to a backup`];
        return contents.invalid.map(({key, problem}) =>
            `Skipped your preset ${quoted(key)} in ${this.file}: ${problem} — fix it there, or the next preset you save sets it aside in a backup`);
    }

    /** Read, change and write the user's presets under the lock; what cannot be kept is set aside first. */
    private async change(edit: (presets: Map<string, Preset>) => void): Promise<string[]> {
        try {
            makeFolder(path.dirname(this.file));
            return await withFileLock(this.file + ".lock", () => this.changeLocked(edit), this.onLockWait);
        } catch (err) {
            if (err instanceof UserFacingError || (err as NodeJS.ErrnoException).code == null) throw err;
            throw new PresetStoreAccessError(this.file, err as NodeJS.ErrnoException, "write");
        }
    }

    private changeLocked(edit: (presets: Map<string, Preset>) => void): string[] {
        const contents = this.read();
        const presets = contents.ok ? contents.presets : new Map<string, Preset>();
        edit(presets); // first: a refused change moves nothing
        const notes: string[] = [];
        if (!contents.ok) {
            const backup = this.backupName("corrupt");
            renameSync(this.file, backup);
            notes.push(`Your presets file ${this.file} did not parse (${contents.problem}); it was moved to ${backup} and a new one started`);
        } else if (contents.invalid.length > 0) {
            const backup = this.backupName("invalid");
            writeFileAtomic(backup, `{\n\t"presets": {\n${contents.invalid.map((p) => `\t\t${JSON.stringify(p.key)}: ${p.raw}`).join(",\n")}\n\t}\n}\n`);
            notes.push(`Set aside ${contents.invalid.map((p) => `${quoted(p.key)} (${p.problem})`).join(", ")} from your presets in ${backup}`);
        }
        // the presets are ours to write (each checked against the schema); other top-level keys go back as written
        const ours = JSON.stringify({presets: Object.fromEntries(presets)}, null, "\t");
        const other = (contents.ok ? contents.other : []).map(([key, raw]) => `\t${JSON.stringify(key)}: ${raw},\n`).join("");
        writeFileAtomic(this.file, `{\n${other}${ours.slice("{\n".length)}\n`);
        return notes;
    }

    private backupName(kind: "corrupt" | "invalid") {
        return `${this.file}.${kind}-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    }
}

/**
 * The store's JSON: valid presets by name; invalid ones, and other top-level keys, as the text they were written as
 * (never parsed and written again: `1e309` would become null, and a value nested 100,000 deep overflow the stack).
 */
export function parseStore(text: string): StoreContents {
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (err) {
        return {ok: false, problem: (err as Error).message.split("\n")[0]!.slice(0, 200)};
    }
    if (!isRecord(value)) return {ok: false, problem: "it is not a JSON object"};
    const {presets: stored = {}} = value;
    if (!isRecord(stored)) return {ok: false, problem: '"presets" is not an object'};
    const top = memberTexts(text, text.search(/\S/));
    const presetTexts = Object.hasOwn(value, "presets") ? memberTexts(text, top.get("presets")!.start) : new Map<string, {start: number, end: number}>();
    const textOf = (span: {start: number, end: number}) => text.slice(span.start, span.end);
    const presets = new Map<string, Preset>();
    const invalid: InvalidPreset[] = [];
    for (const [key, raw] of Object.entries(stored)) {
        const problem = presetProblem(raw) ?? ((raw as Preset).name !== key ? `its name is ${quoted((raw as Preset).name)}` : undefined);
        if (problem) invalid.push({key, raw: textOf(presetTexts.get(key)!), problem});
        else presets.set(key, raw as Preset);
    }
    const other = Object.keys(value).filter((key) => key !== "presets").map((key): [string, string] => [key, textOf(top.get(key)!)]);
    return {ok: true, presets, invalid, other};
}

const JSON_SPACE = /[ \t\n\r]/;

function skipSpace(text: string, at: number): number {
    while (at < text.length && JSON_SPACE.test(text[at]!)) at++;
    return at;
}

/** the index just past the JSON string starting at text[at] */
function stringEnd(text: string, at: number): number {
    for (let i = at + 1; ; i++) {
        if (text[i] === "\\") i++;
        else if (text[i] === "\"") return i + 1;
    }
}

/** the index just past the JSON value starting at text[at]: a loop with a depth count, so no nesting overflows it */
function valueEnd(text: string, at: number): number {
    const first = text[at];
    if (first === "\"") return stringEnd(text, at);
    if (first === "{" || first === "[") {
        let depth = 0;
        for (let i = at; ; i++) {
            const c = text[i];
            if (c === "\"") i = stringEnd(text, i) - 1;
            else if (c === "{" || c === "[") depth++;
            else if ((c === "}" || c === "]") && --depth === 0) return i + 1;
        }
    }
    let i = at;
    while (i < text.length && !/[\s,\]}]/.test(text[i]!)) i++;
    return i;
}

/**
 * Where each member's value of the JSON object at text[at] is written (for a key given twice, the last, which is the
 * one JSON.parse keeps). Only for text that JSON.parse accepted.
 */
function memberTexts(text: string, at: number): Map<string, {start: number, end: number}> {
    const members = new Map<string, {start: number, end: number}>();
    let i = skipSpace(text, at + 1);
    if (text[i] === "}") return members;
    for (;;) {
        const keyEnd = stringEnd(text, i);
        const key = JSON.parse(text.slice(i, keyEnd)) as string;
        const start = skipSpace(text, skipSpace(text, keyEnd) + 1); // past the colon
        const end = valueEnd(text, start);
        members.set(key, {start, end});
        i = skipSpace(text, end);
        if (text[i] !== ",") return members;
        i = skipSpace(text, i + 1);
    }
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return value != null && typeof value === "object" && !Array.isArray(value);
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
            const value = JSON.parse(readRegularFileIfExists(file, "Shipped preset", {maxBytes: MAX_PRESETS_FILE_BYTES})?.toString("utf8") ?? "") as unknown;
            const problem = presetProblem(value);
            if (problem) throw new Error(problem);
            presets.set((value as Preset).name, value as Preset);
        } catch (err) {
            notices.push(`Skipped shipped preset ${file}: ${(err as Error).message}`);
        }
    }
    return presets;
}
