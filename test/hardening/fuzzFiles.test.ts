/**
 * Thousands of mutated vector and preset files, and mutated model metadata: each loads or fails with one clear line;
 * nothing else escapes, and no model makes llama.cpp abort.
 */
import {spawnSync} from "node:child_process";
import {mkdirSync, readFileSync, writeFileSync} from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {UserFacingError} from "../../src/errors.js";
import {buildSyntheticLlama, seededRandom} from "../../tooling/syntheticLlama.js";
import {PresetStore} from "../../src/presets/presetStore.js";
import {presetProblem} from "../../src/presets/presetSchema.js";
import {loadControlVector} from "../../src/steering/loadControlVector.js";
import {presetSteering} from "../../src/presets/applyPreset.js";
import {loadModel} from "../../src/engine/runtime.js";
import {SteeringController} from "../../src/steering/steeringController.js";
import {fixtureVectors, repoRoot, tempDir, writeSyntheticModel} from "../helpers/steeringTestKit.js";
import {metadataMutants} from "../helpers/metadataMutants.js";

function mutate(bytes: Buffer, rand: () => number): Buffer {
    let out = Buffer.from(bytes);
    switch (Math.floor(rand() * 5)) {
        case 0: // flip a few bytes
            for (let f = 0, n = 1 + Math.floor(rand() * 6); f < n; f++) out[Math.floor(rand() * out.length)] = Math.floor(rand() * 256);
            break;
        case 1: // cut short
            out = out.subarray(0, Math.floor(rand() * out.length));
            break;
        case 2: { // overwrite a run with 0xff (huge lengths and counts)
            const at = Math.floor(rand() * out.length);
            out.fill(0xff, at, Math.min(out.length, at + 1 + Math.floor(rand() * 8)));
            break;
        }
        case 3: { // duplicate a slice somewhere else
            const from = Math.floor(rand() * out.length);
            const slice = out.subarray(from, from + Math.floor(rand() * 32));
            const at = Math.floor(rand() * out.length);
            out = Buffer.concat([out.subarray(0, at), slice, out.subarray(at)]);
            break;
        }
        default: // zero a run
            out.fill(0, Math.floor(rand() * out.length), Math.floor(rand() * out.length));
    }
    return out;
}

function expectOneClearLine(err: unknown, file: string) {
    expect(err, String(err)).toBeInstanceOf(UserFacingError);
    const line = (err as UserFacingError).toLine();
    expect(line).not.toContain("\n");
    expect(line).toContain(file);
}

describe("fuzzing file inputs", () => {
    it("2,000 mutated control vectors (llama.cpp-made and ours)", async () => {
        const seeds = ["happy.gguf", "trained-happy.gguf"].map((f) => readFileSync(path.join(fixtureVectors, f)));
        const rand = seededRandom(99);
        const file = path.join(tempDir(), "fuzz.gguf");
        const outcomes = {loaded: 0, refused: 0};
        for (let i = 0; i < 2000; i++) {
            writeFileSync(file, mutate(seeds[i % 2]!, rand));
            try {
                const vector = await loadControlVector(file);
                for (const d of vector.directions.values()) expect(d.length).toBe(vector.nEmbd);
                outcomes.loaded++;
            } catch (err) {
                expectOneClearLine(err, file);
                outcomes.refused++;
            }
        }
        expect(outcomes.loaded + outcomes.refused).toBe(2000);
        expect(outcomes.refused).toBeGreaterThan(500);
    }, 600_000); // a fixed amount of work (2,000 header reads) that a machine shared with other work can stretch well past 120 s

    it("3,000 mutated presets are either valid presets or described in one line", () => {
        const seeds = ["cheerful.json", "dog-person.json"].map((f) => readFileSync(path.join(repoRoot, "presets", f)));
        const rand = seededRandom(7);
        let valid = 0;
        for (let i = 0; i < 3000; i++) {
            const text = mutate(seeds[i % 2]!, rand).toString("utf8");
            let value: unknown;
            try {
                value = JSON.parse(text);
            } catch {
                continue; // not JSON at all: the store's own handling of that is tested below
            }
            const problem = presetProblem(value);
            if (problem == null) valid++;
            else expect(problem).not.toContain("\n");
        }
        expect(valid).toBeGreaterThan(0);
    });

    it("500 corrupted preset stores open with a notice and untouched, and the next save keeps the damaged file in a backup", async () => {
        const seed = Buffer.from(JSON.stringify({presets: {mine: {name: "mine", vectors: [{vector: "happy", coefficient: 0.5}]}}}));
        const rand = seededRandom(3);
        const dir = tempDir();
        let notices = 0;
        for (let i = 0; i < 500; i++) {
            const storeDir = path.join(dir, String(i));
            mkdirSync(storeDir);
            writeFileSync(path.join(storeDir, "presets.json"), mutate(seed, rand));
            const written = readFileSync(path.join(storeDir, "presets.json"));
            const store = new PresetStore({dir: storeDir});
            notices += store.notices.length;
            for (const n of store.notices) expect(n).not.toContain("\n");
            expect(readFileSync(path.join(storeDir, "presets.json")).equals(written)).toBe(true); // opening changes nothing
            for (const n of await store.save({name: "after", vectors: [{vector: "happy", coefficient: 1}]})) {
                expect(n).not.toContain("\n");
                // what could not be kept is where the note says: the whole file byte for byte, or the invalid presets
                const moved = /moved to (\S+) and a new one started/.exec(n)?.[1];
                const setAside = / in (\S+\.invalid-\S+)$/.exec(n)?.[1];
                expect(moved ?? setAside, n).toBeDefined();
                if (moved) expect(readFileSync(moved).equals(written)).toBe(true);
                else expect(readFileSync(setAside!, "utf8")).toContain('"presets"');
            }
            expect(store.get("after").origin).toBe("user");
        }
        expect(notices).toBeGreaterThan(100);
    });

    it("500 mutated stores with other keys: a save sets aside, and writes back, exactly the values as written", async () => {
        const seed = Buffer.from('{\n  "theme": {"colours": ["red", 1.50, -0, 1e2], "esc": "a\\"b\\\\"},\n  "presets": {\n' +
            '    "mine": {"name": "mine", "vectors": [{"vector": "happy", "coefficient": 0.5}]},\n' +
            '    "odd": {"name": "odd", "vectors": [{"vector": "dog", "coefficient": 1e309}], "note": "}]\\""},\n' +
            '    "yours": {"name": "yours", "vectors": [], "description": "kept"}\n  },\n  "tail": [[], {}, "]"]\n}\n');
        const rand = seededRandom(11);
        const dir = tempDir();
        let checked = 0;
        for (let i = 0; i < 500; i++) {
            const storeDir = path.join(dir, String(i));
            mkdirSync(storeDir);
            const file = path.join(storeDir, "presets.json");
            writeFileSync(file, i === 0 ? seed : mutate(seed, rand));
            let original: Record<string, unknown>;
            try {
                original = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
            } catch {
                continue; // does not parse: moved whole, tested above
            }
            let notes: string[];
            try {
                notes = await new PresetStore({dir: storeDir}).save({name: "after", vectors: [{vector: "happy", coefficient: 1}]});
            } catch (err) {
                expectOneClearLine(err, file); // a store that is not an object of presets
                continue;
            }
            const setAside = notes.map((n) => / in (\S+\.invalid-\S+)$/.exec(n)?.[1]).find((f) => f != null);
            if (setAside != null) {
                const aside = (JSON.parse(readFileSync(setAside, "utf8")) as {presets: Record<string, unknown>}).presets;
                const originals = original.presets as Record<string, unknown>;
                for (const [key, value] of Object.entries(aside)) expect(value, key).toEqual(originals[key]);
            }
            const rewritten = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
            for (const key of Object.keys(original).filter((k) => k !== "presets")) expect(rewritten[key], key).toEqual(original[key]);
            checked++;
        }
        expect(checked).toBeGreaterThan(50);
    });

    it("mutated vectors that load, and structurally mutated presets, are applied to a live model without escaping errors", async () => {
        // a generated model the shipped vectors fit (64 wide, 5 layers), so many mutants load and get applied
        const loaded = await loadModel(writeSyntheticModel({nEmbd: 64, nLayer: 5, seed: 31}), {gpu: false, contextSize: 64});
        try {
            const controller = SteeringController.create(loaded.context, loaded.model);
            const rand = seededRandom(17);
            const seed = readFileSync(path.join(fixtureVectors, "happy.gguf"));
            const dir = tempDir();
            let applied = 0;
            for (let i = 0; i < 300; i++) {
                const file = path.join(dir, `m${i}.gguf`);
                writeFileSync(file, mutate(seed, rand));
                try {
                    await controller.addVector(file, rand() * 4 - 2);
                } catch (err) {
                    expectOneClearLine(err, file);
                    continue;
                }
                controller.applyStaged(); // the native side takes whatever a loadable file holds (NaN and huge included)
                applied++;
                controller.update((s) => s.remove(`m${i}`));
            }
            expect(applied).toBeGreaterThan(20);

            // presets whose fields are swapped for other types, huge or negative numbers, missing or odd vectors
            const odd = [0, -1, 1e308, -1e308, Number.MAX_SAFE_INTEGER, "1", null, [], {}, true, "happy", "../../etc/passwd", "nosuch", [2, 1], [0, 99]];
            const pick = () => odd[Math.floor(rand() * odd.length)];
            let valid = 0;
            for (let i = 0; i < 1000; i++) {
                const vector: Record<string, unknown> = {vector: rand() < 0.5 ? "happy" : pick(), coefficient: rand() < 0.5 ? 0.5 : pick()};
                if (rand() < 0.3) vector.layers = pick();
                if (rand() < 0.2) vector.enabled = pick();
                const preset: Record<string, unknown> = {name: rand() < 0.8 ? "p" : pick(), vectors: rand() < 0.9 ? [vector] : pick()};
                if (rand() < 0.3) preset.sampling = rand() < 0.5 ? {temperature: pick()} : pick();
                if (rand() < 0.2) preset.systemPrompt = pick();
                const problem = presetProblem(preset);
                if (problem != null) {
                    expect(problem).not.toContain("\n");
                    continue;
                }
                valid++;
                const result = await presetSteering(preset as never, controller);
                expect(result.loaded.length + result.skipped.length).toBe((preset.vectors as unknown[]).length);
                for (const skipped of result.skipped) expect(skipped).not.toContain("\n");
                controller.update(() => result.state);
                controller.applyStaged();
            }
            expect(valid).toBeGreaterThan(50);
        } finally {
            await loaded.dispose();
        }
    });

    it("120 models with mutated hyper-parameters: none aborts the process, each runs or is refused in one line", () => {
        const nLayer = 3;
        const model = buildSyntheticLlama({nEmbd: 32, nLayer, nHead: 4, nHeadKv: 2, seed: 3});
        const dir = tempDir();
        const mutants = metadataMutants(model, nLayer, 120, seededRandom(2024));
        const files = mutants.map((m, i) => {
            const file = path.join(dir, `model-${i}.gguf`);
            writeFileSync(file, m.bytes);
            return file;
        });
        // one child loads them all and decodes a few tokens with each: an abort ends the child, not vitest
        const child = spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot, "test", "helpers", "loadModelsChild.ts"), ...files],
            {cwd: repoRoot, encoding: "utf8", maxBuffer: 64 * 1024 * 1024});
        const results = child.stdout.trim().split("\n").map((l) => JSON.parse(l) as {file: string, outcome: string, line?: string})
            .filter((r) => r.outcome !== "started");
        const last = results.at(-1)?.file;
        const aborted = files[last == null ? 0 : files.indexOf(last) + 1];
        expect(child.signal, `aborted on ${mutants[files.indexOf(aborted!)]?.edits}: ${child.stderr.slice(-400)}`).toBeNull();
        expect(child.status, child.stderr).toBe(0);
        expect(results.map((r) => r.file)).toEqual(files);
        const outcomes = {ran: 0, refused: 0};
        for (const [i, r] of results.entries()) {
            expect(r.outcome, `${mutants[i]!.edits}: ${r.line}`).toMatch(/^(ran|refused)$/);
            outcomes[r.outcome as "ran" | "refused"]++;
            if (r.outcome === "refused") {
                expect(r.line).not.toContain("\n");
                expect(r.line).toContain(r.file);
            }
        }
        expect(outcomes.ran).toBeGreaterThan(5);
        expect(outcomes.refused).toBeGreaterThan(50);
    });
});
