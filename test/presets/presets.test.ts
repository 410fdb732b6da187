/** Presets end to end through the real binary, in an isolated config folder (XDG_CONFIG_HOME). */
import {execFile, spawn} from "node:child_process";
import {chmodSync, existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {promisify} from "node:util";
import {describe, expect, it} from "vitest";
import {configDir, dataDir} from "../../src/config/paths.js";
import {DEFAULT_SAMPLING} from "../../src/engine/sampling.js";
import {presetSampling} from "../../src/presets/applyPreset.js";
import {defaultSettings, presetLayer, Settings} from "../../src/session/settings.js";
import {presetProblem} from "../../src/presets/presetSchema.js";
import {PresetStore} from "../../src/presets/presetStore.js";
import {fixtureVectors, repoRoot, storiesModel, tempDir, vectorOf, writeSyntheticModel, writeVector} from "../helpers/steeringTestKit.js";

const execFileAsync = promisify(execFile);
const bin = path.join(repoRoot, "bin", "steer-chat.js");

/** Runs the binary with its config in `xdg`; `asUser` runs it as another user (root reads any file, so EACCES needs one). */
function cli(xdg: string, cwd = repoRoot, asUser?: {uid: number, gid: number}) {
    const env: NodeJS.ProcessEnv = {...process.env, XDG_CONFIG_HOME: xdg};
    delete env.STEER_CHAT_CONFIG_DIR;
    return async (...args: string[]) => {
        try {
            const {stdout, stderr} = await execFileAsync(process.execPath, [bin, ...args], {cwd, env, ...asUser});
            return {code: 0, stdout, stderr};
        } catch (err) {
            const e = err as {code: number, stdout: string, stderr: string};
            return {code: e.code, stdout: e.stdout, stderr: e.stderr};
        }
    };
}

describe("preset round trip", () => {
    it("save, list, show, load, delete in an isolated config folder; shipped presets are read-only", async () => {
        const xdg = tempDir();
        const run = cli(xdg);
        const saved = await run("preset", "save", "sunny", "--vector", "happy:0.75", "--vector", "dog:-0.5", "--layers", "2-4",
            "--description", "bright days", "--system", "Tell a story.");
        expect(saved.code).toBe(0);
        expect(saved.stdout).toContain(path.join(xdg, "steer-chat", "presets.json"));

        const list = await run("preset", "list");
        const lines = list.stdout.trim().split("\n");
        expect(lines).toHaveLength(6); // five shipped + ours, one a line
        expect(lines.find((l) => l.startsWith("sunny"))).toMatch(/sunny\s+user\s+happy \+0\.75 L2-4 · dog -0\.50 L2-4\s+— bright days/);
        expect(lines.filter((l) => /shipped/.test(l)).map((l) => l.split(/\s+/)[0])).toEqual(["about-sue", "about-tim", "cheerful", "dog-person", "melancholy"]);

        const show = JSON.parse((await run("preset", "show", "sunny")).stdout);
        expect(show).toEqual({name: "sunny", description: "bright days", systemPrompt: "Tell a story.", origin: "user",
            vectors: [{vector: "happy", coefficient: 0.75, layers: [2, 4]}, {vector: "dog", coefficient: -0.5, layers: [2, 4]}]});

        // load: start a model with it (a generated one the shipped vectors fit, so no download is needed)
        const model = writeSyntheticModel({nEmbd: 64, nLayer: 5, seed: 11});
        const loaded = await run("ask", "--raw", "--temperature", "0", "--max-tokens", "4", "--model", model, "--preset", "sunny", "the cat");
        expect(loaded.code, loaded.stderr).toBe(0);
        expect(loaded.stderr).toContain("Preset sunny: loaded happy, dog");
        expect(loaded.stderr).not.toContain("skipped");
        const viaFlags = await run("ask", "--raw", "--temperature", "0", "--max-tokens", "4", "--model", model,
            "--vector", "happy:0.75", "--vector", "dog:-0.5", "--layers", "2-4", "--system", "Tell a story.", "the cat");
        expect(loaded.stdout).toBe(viaFlags.stdout);

        const overwrite = await run("preset", "save", "cheerful", "--vector", "happy:3");
        expect(overwrite.code).toBe(2);
        expect(overwrite.stderr).toMatch(/^steer-chat: "cheerful" is a shipped preset and cannot be overwritten — save it under another name/);
        expect((await run("preset", "delete", "melancholy")).code).toBe(2);

        expect((await run("preset", "delete", "sunny")).code).toBe(0);
        expect((await run("preset", "list")).stdout).not.toContain("sunny");
        const missing = await run("preset", "show", "sunny");
        expect(missing.code).toBe(2);
        expect(missing.stderr).toContain('No preset named "sunny"');
    });

    it("--preset gives exactly the steering of the same --vector flags", async () => {
        const run = cli(tempDir());
        const common = ["ask", "--raw", "--temperature", "0", "--max-tokens", "24", "--model", storiesModel];
        const viaFlags = await run(...common, "--vector", "dog:2", "--vector", "happy:0.5", "--layers", "3-4", "Lily wanted to");
        expect((await run("preset", "save", "mix", "--vector", "dog:2", "--vector", "happy:0.5", "--layers", "3-4")).code).toBe(0);
        const viaPreset = await run(...common, "--preset", "mix", "Lily wanted to");
        expect(viaPreset.code).toBe(0);
        expect(viaPreset.stdout).toBe(viaFlags.stdout);
        const fixture = JSON.parse(readFileSync(path.join(repoRoot, "test", "fixtures", "llama-completion.json"), "utf8"));
        const reference = fixture.cases.find((c: {vectors?: string[], layers?: number[]}) => c.vectors?.join() === "dog.gguf:2,happy.gguf:0.5");
        expect(reference.expected.startsWith(viaPreset.stdout)).toBe(true);
    });

    it("a preset whose vectors do not all fit loads what fits and says what it skipped", async () => {
        const xdg = tempDir();
        const wide = writeVector(vectorOf(128, [1], () => 1), "wide.gguf");
        mkdirSync(path.join(xdg, "steer-chat"), {recursive: true});
        await new PresetStore({dir: path.join(xdg, "steer-chat")}).save({name: "partly",
            vectors: [{vector: "happy", coefficient: -1.5}, {vector: wide, coefficient: 1}, {vector: "no-such-vector", coefficient: 1}]});
        const run = cli(xdg);
        const result = await run("ask", "--raw", "--temperature", "0", "--max-tokens", "24", "--model", storiesModel, "--preset", "partly", "Once upon a time");
        expect(result.code).toBe(0);
        expect(result.stderr).toContain("Preset partly: loaded happy");
        expect(result.stderr).toMatch(new RegExp(`Preset partly skipped ${wide}: .*n_embd 128, but the model has 64`));
        expect(result.stderr).toContain('Preset partly skipped no-such-vector: No vector named "no-such-vector"');
        const alone = await run("ask", "--raw", "--temperature", "0", "--max-tokens", "24", "--model", storiesModel, "--vector", "happy:-1.5", "Once upon a time");
        expect(result.stdout).toBe(alone.stdout);
    });

    it("a presets file that does not parse is left alone by reading commands, and moved to a backup by the next save", async () => {
        const xdg = tempDir();
        const dir = path.join(xdg, "steer-chat");
        mkdirSync(dir, {recursive: true});
        const file = path.join(dir, "presets.json");
        const broken = '{"presets": {"mine": {"name": "mine", "vectors": [';
        writeFileSync(file, broken);
        const result = await cli(xdg)("preset", "list");
        expect(result.code).toBe(0);
        expect(result.stderr).toMatch(/^steer-chat: Your presets file .*presets\.json does not parse \(.*\), so your presets are not shown; it is left as it is/);
        expect(result.stderr.trim().split("\n")).toHaveLength(1);
        expect(readdirSync(dir)).toEqual(["presets.json"]);
        expect(readFileSync(file, "utf8")).toBe(broken);

        const saved = await cli(xdg)("preset", "save", "fresh", "--vector", "happy:1");
        expect(saved.code).toBe(0);
        expect(saved.stderr).toMatch(/did not parse .*; it was moved to .*presets\.json\.corrupt-.* and a new one started/);
        const backups = readdirSync(dir).filter((f) => f.startsWith("presets.json.corrupt-"));
        expect(backups).toHaveLength(1);
        expect(readFileSync(path.join(dir, backups[0]!), "utf8")).toBe(broken);
        expect((await cli(xdg)("preset", "list")).stdout).toMatch(/^fresh\s+user/m);
    });

    it("one bad preset hides nothing else: it is named and skipped, and the next save sets only it aside, raw", async () => {
        const xdg = tempDir();
        const dir = path.join(xdg, "steer-chat");
        mkdirSync(dir, {recursive: true});
        const file = path.join(dir, "presets.json");
        const stored = {presets: {
            good: {name: "good", vectors: [{vector: "happy", coefficient: 0.5}]},
            typo: {name: "typo", vectors: [{vector: "happy", coefficient: "abc"}]},
            extra: {name: "extra", vectors: [], colour: "red"},
            "also-good": {name: "also-good", vectors: [{vector: "dog", coefficient: -1}], description: "kept"}
        }};
        writeFileSync(file, JSON.stringify(stored, null, "\t")); // as conf wrote it
        const run = cli(xdg);
        const list = await run("preset", "list");
        expect(list.code).toBe(0);
        expect(list.stdout).toMatch(/^good\s+user/m);
        expect(list.stdout).toMatch(/^also-good\s+user .* — kept$/m);
        expect(list.stdout).not.toMatch(/^(typo|extra)\s/m);
        expect(list.stderr.trim().split("\n")).toEqual([
            `steer-chat: Skipped your preset "typo" in ${file}: vectors[0].coefficient must be a number — fix it there, or the next preset you save sets it aside in a backup`,
            `steer-chat: Skipped your preset "extra" in ${file}: unknown field "colour" — fix it there, or the next preset you save sets it aside in a backup`
        ]);
        expect(readdirSync(dir)).toEqual(["presets.json"]); // reading moved nothing

        const saved = await run("preset", "save", "new", "--vector", "happy:1");
        expect(saved.code).toBe(0);
        const aside = readdirSync(dir).filter((f) => f.startsWith("presets.json.invalid-"));
        expect(aside).toHaveLength(1);
        expect(saved.stderr).toBe(`steer-chat: Skipped your preset "typo" in ${file}: vectors[0].coefficient must be a number — fix it there, or the next preset you save sets it aside in a backup\n` +
            `steer-chat: Skipped your preset "extra" in ${file}: unknown field "colour" — fix it there, or the next preset you save sets it aside in a backup\n` +
            `steer-chat: Set aside "typo" (vectors[0].coefficient must be a number), "extra" (unknown field "colour") from your presets in ${path.join(dir, aside[0]!)}\n`);
        expect(JSON.parse(readFileSync(path.join(dir, aside[0]!), "utf8"))).toEqual({presets: {typo: stored.presets.typo, extra: stored.presets.extra}});
        const after = await run("preset", "list");
        expect(after.stderr).toBe("");
        expect(after.stdout.split("\n").filter((l) => / user /.test(l)).map((l) => l.split(/\s+/)[0])).toEqual(["also-good", "good", "new"]);
    });

    it("any valid name works, even JavaScript's own property names and dotted ones; __proto__ is not a valid name", async () => {
        const run = cli(tempDir());
        const names = ["constructor", "prototype", "hasOwnProperty", "toString", "v1.2", "a.b"];
        for (const [i, name] of names.entries()) {
            const saved = await run("preset", "save", name, "--vector", `happy:${i + 1}`);
            expect(saved.code, saved.stderr).toBe(0);
        }
        const list = (await run("preset", "list")).stdout;
        for (const [i, name] of names.entries()) {
            expect(list).toMatch(new RegExp(`^${name.replace(".", "\\.")}\\s+user\\s+happy \\+${i + 1}\\.00$`, "m"));
            expect(JSON.parse((await run("preset", "show", name)).stdout)).toEqual({name, origin: "user", vectors: [{vector: "happy", coefficient: i + 1}]});
        }
        const proto = await run("preset", "show", "__proto__");
        expect(proto.code).toBe(2);
        expect(proto.stderr).toBe('steer-chat: No preset named "__proto__" — steer-chat preset list shows them\n');
        expect((await run("preset", "show", "valueOf")).stderr).toContain('No preset named "valueOf"');
        expect((await run("preset", "save", "__proto__", "--vector", "happy:1")).stderr).toMatch(/^steer-chat: Invalid preset name "__proto__" — use 1-64 letters/);
        const model = writeSyntheticModel({nEmbd: 64, nLayer: 5, seed: 11});
        const loaded = await run("ask", "--raw", "--temperature", "0", "--max-tokens", "2", "--model", model, "--preset", "constructor", "the cat");
        expect(loaded.code, loaded.stderr).toBe(0);
        expect(loaded.stderr).toContain("Preset constructor: loaded happy");
        expect((await run("preset", "delete", "constructor")).code).toBe(0);
        expect((await run("preset", "list")).stdout).not.toMatch(/^constructor\s/m);
    });

    it("saving over one of your presets is refused, naming --force; --force replaces it", async () => {
        const run = cli(tempDir());
        expect((await run("preset", "save", "mine", "--vector", "happy:1", "--description", "first", "--temperature", "0.3")).code).toBe(0);
        const again = await run("preset", "save", "mine", "--vector", "dog:2");
        expect(again.code).toBe(2);
        expect(again.stderr).toBe('steer-chat: You already have a preset named "mine" — pass --force to replace it (its description and sampling too), or choose another name\n');
        expect(JSON.parse((await run("preset", "show", "mine")).stdout)).toMatchObject({description: "first", sampling: {temperature: 0.3}});
        expect((await run("preset", "save", "mine", "--vector", "dog:2", "--force")).code).toBe(0);
        expect(JSON.parse((await run("preset", "show", "mine")).stdout)).toEqual({name: "mine", origin: "user", vectors: [{vector: "dog", coefficient: 2}]});
        expect((await run("preset", "save", "mine", "--vector", "dog:2", "--max-tokens", "64", "--seed", "3", "--force")).code).toBe(0);
        expect(JSON.parse((await run("preset", "show", "mine")).stdout)).toMatchObject({sampling: {maxTokens: 64, seed: 3}});
    });

    it("preset save checks names and coefficients as the chat does; a recipe name is fine", async () => {
        const run = cli(tempDir());
        const refused = async (spec: string) => {
            const result = await run("preset", "save", "p", "--vector", spec);
            expect(result.code, spec).toBe(2);
            expect(result.stderr.trim().split("\n"), spec).toHaveLength(1);
            return result.stderr;
        };
        expect(await refused("nosuch:1")).toMatch(/^steer-chat: No vector named "nosuch" — looked in /);
        expect(await refused("happy:abc")).toMatch(/^steer-chat: Coefficient "abc" in "happy:abc" is not a number — /);
        expect(await refused("happy:1e308")).toMatch(/^steer-chat: Coefficient "1e308" in "happy:1e308" is out of range — write NAME:C with C a number from -1000 to 1000/);
        const notVector = path.join(tempDir(), "notes.gguf");
        writeFileSync(notVector, "not a vector");
        expect(await refused(notVector)).toContain(`Bad control vector ${notVector}`);
        expect((await run("preset", "list")).stdout).not.toMatch(/^p\s/m);
        expect((await run("preset", "save", "p", "--vector", "formal:0.5", "--vector", "happy:-1000")).code).toBe(0);
        expect(JSON.parse((await run("preset", "show", "p")).stdout).vectors).toEqual([{vector: "formal", coefficient: 0.5}, {vector: "happy", coefficient: -1000}]);
    });

    it("a presets file that cannot be read (EACCES) is one line naming the file and the fix, and is never moved", async () => {
        const xdg = tempDir();
        const dir = path.join(xdg, "steer-chat");
        mkdirSync(dir, {recursive: true});
        const file = path.join(dir, "presets.json");
        writeFileSync(file, JSON.stringify({presets: {mine: {name: "mine", vectors: []}}}));
        // the folders stay writable, so moving the file away would succeed: nothing may do it
        chmodSync(xdg, 0o777);
        chmodSync(dir, 0o777);
        chmodSync(file, 0o600);
        const isRoot = process.getuid?.() === 0;
        if (!isRoot) chmodSync(file, 0o000);
        const run = cli(xdg, repoRoot, isRoot ? {uid: 65534, gid: 65534} : undefined);
        const expected = `steer-chat: Cannot read your presets file ${file}: EACCES — fix its permissions (chmod u+rw ${file}) or set STEER_CHAT_CONFIG_DIR to another folder\n`;
        for (const args of [["list"], ["show", "mine"], ["save", "other", "--vector", "happy:1"], ["delete", "mine"]]) {
            const result = await run("preset", ...args);
            expect(result.code, args.join(" ")).toBe(2);
            expect(result.stderr, args.join(" ")).toBe(expected);
            expect(readdirSync(dir)).toEqual(["presets.json"]);
        }
        chmodSync(file, 0o644);
        expect((await run("preset", "list")).stdout).toMatch(/^mine\s+user/m);
    });

    it("two instances saving presets at the same time keep each other's presets", async () => {
        const xdg = tempDir();
        const env: NodeJS.ProcessEnv = {...process.env, XDG_CONFIG_HOME: xdg};
        delete env.STEER_CHAT_CONFIG_DIR;
        const saveMany = (prefix: string) => new Promise<number>((resolve) => {
            // one process saving 20 presets in a row, racing another one doing the same
            const script = `
                const {PresetStore} = await import(${JSON.stringify(path.join(repoRoot, "dist", "presets", "presetStore.js"))});
                const store = new PresetStore();
                for (let i = 0; i < 20; i++) await store.save({name: "${prefix}" + i, vectors: [{vector: "happy", coefficient: i / 10}]});`;
            const child = spawn(process.execPath, ["--input-type=module", "-e", script], {env, stdio: "inherit"});
            child.on("exit", (code) => resolve(code ?? 1));
        });
        expect(await Promise.all([saveMany("a"), saveMany("b")])).toEqual([0, 0]);
        const names = new PresetStore({dir: path.join(xdg, "steer-chat")}).list().filter((p) => p.origin === "user").map((p) => p.preset.name);
        expect(names).toHaveLength(40);
        expect(existsSync(path.join(xdg, "steer-chat", "presets.json.lock"))).toBe(false);
    });

    it("validates presets: shipped files follow the schema and bad ones are described", () => {
        for (const file of readdirSync(path.join(repoRoot, "presets")).filter((f) => f.endsWith(".json")))
            expect(presetProblem(JSON.parse(readFileSync(path.join(repoRoot, "presets", file), "utf8"))), file).toBeUndefined();
        expect(presetProblem({name: "x", vectors: [{vector: "a", coefficient: "1"}]})).toBe("vectors[0].coefficient must be a number");
        expect(presetProblem({name: "x y", vectors: []})).toMatch(/name must be/);
        expect(presetProblem({name: "x", vectors: [], colour: "red"})).toBe('unknown field "colour"');
        expect(presetProblem({name: "x", vectors: [{vector: "a", coefficient: 1, layers: [5, 2]}]})).toMatch(/layers must be/);
        expect(presetProblem({name: "x", vectors: [{vector: "a", coefficient: 1e308}]})).toBe("vectors[0].coefficient must be from -1000 to 1000");
        expect(presetProblem({name: "x", vectors: [{vector: "a", coefficient: 1, weight: 2}]})).toBe('vectors[0] has an unknown field "weight"');
        expect(presetProblem({name: "x", vectors: [], sampling: {topP: 1.5}})).toBe("sampling.topP must be a number >= 0 and <= 1");
        // a key from the file is quoted by the one rule for text on a terminal (displayText.ts): ESC, C1 and " escaped
        expect(presetProblem({name: "x", vectors: [], "\u001b[2J\u009b\"": 1})).toBe('unknown field "\\e[2J\\u009b\\""');
        expect(readdirSync(fixtureVectors)).toContain("happy.gguf");
    });

    it("preset save stores a file by absolute path (it must load from any folder), a vectors-folder file by name", async () => {
        const xdg = tempDir();
        const work = tempDir();
        mkdirSync(path.join(work, "sub"));
        writeVector(vectorOf(8, [1], () => 1), "mine.gguf", path.join(work, "sub"));
        const run = cli(xdg, work);
        expect((await run("preset", "save", "rel", "--vector", "sub/mine.gguf:0.5", "--vector", `${path.join(repoRoot, "vectors", "dog.gguf")}:1`, "--vector", "happy:2")).code).toBe(0);
        const shown = JSON.parse((await run("preset", "show", "rel")).stdout);
        expect(shown.vectors.map((v: {vector: string}) => v.vector)).toEqual([path.join(work, "sub", "mine.gguf"), "dog", "happy"]);
        const missing = await run("preset", "save", "gone", "--vector", "sub/nothing.gguf:1");
        expect(missing.code).not.toBe(0);
        expect(missing.stderr).toMatch(/^steer-chat: Control vector not found: sub\/nothing\.gguf — check the path/);
    });

    it("a loaded preset's system prompt and sampling sit over the settings from before any preset, never over the last preset's", () => {
        const before = Settings.of({...defaultSettings(), systemPrompt: "You are helpful.", temperature: 0.2, seed: 7});
        const pirate = {systemPrompt: "Talk like a pirate.", sampling: {temperature: 1.3, topK: 10}};
        const afterPirate = before.withPreset("pirate", presetLayer(pirate));
        expect(afterPirate.resolve()).toEqual({...before.resolve(), systemPrompt: "Talk like a pirate.", temperature: 1.3, topK: 10});
        expect(afterPirate.withPreset("calm", presetLayer({})).resolve()).toEqual(before.resolve());
        expect(afterPirate.withPreset("warm", presetLayer({sampling: {minP: 0.1}})).sampling())
            .toEqual({...before.sampling(), minP: 0.1});
    });

    it("a preset stores the sampling that differs from the defaults, and nothing when none does", () => {
        expect(presetSampling(DEFAULT_SAMPLING)).toBeUndefined();
        // every setting /settings lists is stored: max-tokens and a fixed seed too (a random seed is the default, not stored)
        expect(presetSampling({...DEFAULT_SAMPLING, maxTokens: 9, seed: 3})).toEqual({maxTokens: 9, seed: 3});
        expect(presetSampling({...DEFAULT_SAMPLING, seed: undefined})).toBeUndefined();
        expect(presetProblem({name: "x", vectors: [], sampling: {maxTokens: 9, seed: 3}})).toBeUndefined();
        expect(presetProblem({name: "x", vectors: [], sampling: {maxTokens: 0}})).toBe("sampling.maxTokens must be a whole number >= 1");
        expect(presetProblem({name: "x", vectors: [], sampling: {seed: 1.5}})).toBe("sampling.seed must be a whole number >= 0 and <= 4294967295");
        // loading applies them, except what the user pinned
        const short = presetLayer({sampling: {maxTokens: 9, seed: 3}});
        expect(Settings.of(defaultSettings()).withPreset("short", short).sampling()).toEqual({...DEFAULT_SAMPLING, maxTokens: 9, seed: 3});
        expect(Settings.of(defaultSettings()).withUser("maxTokens", DEFAULT_SAMPLING.maxTokens).withPreset("short", short).sampling())
            .toEqual({...DEFAULT_SAMPLING, seed: 3});
        expect(presetSampling({...DEFAULT_SAMPLING, temperature: 0, topP: 0.5})).toEqual({temperature: 0, topP: 0.5});
        expect(presetProblem({name: "x", vectors: [], sampling: presetSampling({...DEFAULT_SAMPLING, temperature: 0})})).toBeUndefined();
    });

    it("an invalid preset is set aside as it was written, and other top-level keys are written back as they were (1e309 stays 1e309)", async () => {
        const dir = tempDir();
        const file = path.join(dir, "presets.json");
        const theme = '{"big": 1e309, "list": [1.50, 2], "nested": {"a": [-0, 1E2]}}';
        const huge = '{"name": "huge", "vectors": [{"vector": "happy", "coefficient": 1e309}]}';
        writeFileSync(file, `{\n  "theme": ${theme},\n  "presets": {\n    "good": {"name": "good", "vectors": [{"vector": "happy", "coefficient": 0.5}]},\n` +
            `    "huge": ${huge}\n  },\n  "theme": ${theme}\n}\n`);
        const store = new PresetStore({dir});
        const [note, ...others] = await store.save({name: "new", vectors: [{vector: "dog", coefficient: 1}]});
        expect(others).toEqual([]);
        const backup = / in (\S+\.invalid-\S+)$/.exec(note!)![1]!;
        expect(readFileSync(backup, "utf8")).toBe(`{\n\t"presets": {\n\t\t"huge": ${huge}\n\t}\n}\n`);
        expect(JSON.parse(readFileSync(backup, "utf8")).presets.huge.vectors[0].coefficient).toBe(Infinity);
        const written = readFileSync(file, "utf8");
        expect(written.startsWith(`{\n\t"theme": ${theme},\n\t"presets": {\n`)).toBe(true);
        expect(Object.keys(JSON.parse(written))).toEqual(["theme", "presets"]);
        expect(new PresetStore({dir}).list().filter((p) => p.origin === "user").map((p) => p.preset.name)).toEqual(["good", "new"]);
    });

    it("a presets file with values nested 100,000 deep: preset save sets the preset aside and keeps the key, no stack overflow", async () => {
        const xdg = tempDir();
        const dir = path.join(xdg, "steer-chat");
        mkdirSync(dir);
        const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
        writeFileSync(path.join(dir, "presets.json"), `{"deeper": {"x": ${deep}}, "presets": {"deep": {"name": "deep", "vectors": ${deep}}}}`);
        const saved = await cli(xdg)("preset", "save", "fresh", "--vector", "happy:1");
        expect(saved.stderr).not.toMatch(/call stack/);
        expect(saved.code, saved.stderr).toBe(0);
        const aside = readdirSync(dir).filter((f) => f.startsWith("presets.json.invalid-"));
        expect(aside).toHaveLength(1);
        expect(readFileSync(path.join(dir, aside[0]!), "utf8")).toContain(`"deep": {"name": "deep", "vectors": ${deep}}`);
        expect(readFileSync(path.join(dir, "presets.json"), "utf8")).toContain(`"deeper": {"x": ${deep}}`);
        const again = await cli(xdg)("preset", "save", "again", "--vector", "happy:1");
        expect(again.code, again.stderr).toBe(0);
        expect((await cli(xdg)("preset", "list")).stdout).toMatch(/^again\s+user[\s\S]*^fresh\s+user/m);
    });

    it("a lock another steer-chat holds: preset save is one line and exit 2 after the wait, not a crash", async () => {
        const xdg = tempDir();
        const lock = path.join(xdg, "steer-chat", "presets.json.lock");
        mkdirSync(lock, {recursive: true});
        const result = await cli(xdg)("preset", "save", "mine", "--vector", "happy:1");
        expect(result.code).toBe(2);
        expect(result.stderr).toBe(`steer-chat: Waiting for another steer-chat to finish saving presets (${lock})…\n` +
            `steer-chat: Another steer-chat is saving presets: ${lock} has been held for 5 s — ` +
            "try again in a moment (a lock left by a crashed steer-chat is taken over after 10 s)\n");
    });

    it("a relative XDG_CONFIG_HOME or XDG_DATA_HOME is ignored, as the XDG spec says", () => {
        const saved = {config: process.env.XDG_CONFIG_HOME, data: process.env.XDG_DATA_HOME};
        try {
            process.env.XDG_CONFIG_HOME = "relative/config";
            process.env.XDG_DATA_HOME = "relative/data";
            expect(configDir()).toBe(path.join(os.homedir(), ".config", "steer-chat"));
            expect(dataDir()).toBe(path.join(os.homedir(), ".local", "share", "steer-chat"));
            process.env.XDG_CONFIG_HOME = "/abs/config";
            expect(configDir()).toBe("/abs/config/steer-chat");
        } finally {
            for (const [name, value] of [["XDG_CONFIG_HOME", saved.config], ["XDG_DATA_HOME", saved.data]] as const) {
                if (value == null) delete process.env[name];
                else process.env[name] = value;
            }
        }
    });
});
