/** Thousands of mutated vector and preset files: each loads or fails with one clear line; nothing else escapes. */
import {mkdirSync, readFileSync, writeFileSync} from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {UserFacingError} from "../../src/engine/errors.js";
import {seededRandom} from "../../src/gguf/syntheticLlama.js";
import {PresetStore} from "../../src/presets/presetStore.js";
import {presetProblem} from "../../src/presets/presetSchema.js";
import {loadControlVector} from "../../src/steering/loadControlVector.js";
import {fixtureVectors, repoRoot, tempDir} from "../helpers/steeringTestKit.js";

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
    });

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

    it("500 corrupted preset stores open with a backup and a notice, and keep working", () => {
        const seed = Buffer.from(JSON.stringify({presets: {mine: {name: "mine", vectors: [{vector: "happy", coefficient: 0.5}]}}}));
        const rand = seededRandom(3);
        const dir = tempDir();
        let notices = 0;
        for (let i = 0; i < 500; i++) {
            const storeDir = path.join(dir, String(i));
            mkdirSync(storeDir);
            writeFileSync(path.join(storeDir, "presets.json"), mutate(seed, rand));
            const store = new PresetStore({dir: storeDir});
            notices += store.notices.length;
            for (const n of store.notices) expect(n).not.toContain("\n");
            store.save({name: "after", vectors: [{vector: "happy", coefficient: 1}]});
            expect(store.get("after").origin).toBe("user");
        }
        expect(notices).toBeGreaterThan(100);
    });
});
