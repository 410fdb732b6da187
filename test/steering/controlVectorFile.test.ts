import {readFileSync, writeFileSync} from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {gguf, writeGguf} from "../../src/gguf/ggufWriter.js";
import {UserFacingError} from "../../src/errors.js";
import {loadControlVector, saveControlVector} from "../../src/steering/loadControlVector.js";
import {seededRandom} from "../../tooling/syntheticLlama.js";
import {fixtureVectors, tempDir, vectorOf, writeVector} from "../helpers/steeringTestKit.js";

const dir = tempDir();
const file = (name: string) => path.join(dir, name);

async function expectOneLineError(target: string, pattern: RegExp) {
    const err = await loadControlVector(target).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UserFacingError);
    const line = (err as UserFacingError).toLine();
    expect(line).not.toContain("\n");
    expect(line).toContain(target);
    expect(line).toMatch(pattern);
}

describe("control vector files", () => {
    it("round-trips our writer through node-llama-cpp's GGUF reader", async () => {
        const vector = {...vectorOf(16, [1, 3, 7], (l, i) => l - i / 7), modelHint: "llama"};
        const target = file("roundtrip.gguf");
        saveControlVector(target, vector);
        const loaded = await loadControlVector(target);
        expect(loaded.nEmbd).toBe(16);
        expect(loaded.modelHint).toBe("llama");
        expect([...loaded.directions.keys()].sort()).toEqual([1, 3, 7]);
        for (const [layer, direction] of vector.directions) expect([...loaded.directions.get(layer)!]).toEqual([...direction]);
    });

    it("reads vectors written by llama.cpp's cvector-generator", async () => {
        const loaded = await loadControlVector(path.join(fixtureVectors, "happy.gguf"));
        expect(loaded.nEmbd).toBe(64);
        expect([...loaded.directions.keys()].sort()).toEqual([1, 2, 3, 4]);
        expect(loaded.modelHint).toBe("llama");
    });

    it("names the file and the problem for each kind of bad file", async () => {
        writeFileSync(file("text.gguf"), "this is not a gguf file at all");
        await expectOneLineError(file("text.gguf"), /not a GGUF file/);

        await expectOneLineError(file("missing.gguf"), /not found/);

        const good = readFileSync(writeVector(vectorOf(8, [1, 2], () => 0.5)));
        writeFileSync(file("truncated.gguf"), good.subarray(0, good.length - 20));
        await expectOneLineError(file("truncated.gguf"), /truncated/);
        writeFileSync(file("header-cut.gguf"), good.subarray(0, 40));
        await expectOneLineError(file("header-cut.gguf"), /truncated|corrupt|cannot be read/);

        writeVector(vectorOf(4, [1], (_, i) => (i === 2 ? NaN : 1)), "nan.gguf", dir);
        await expectOneLineError(file("nan.gguf"), /NaN|Inf/);
        writeVector(vectorOf(4, [2], (_, i) => (i === 0 ? Infinity : 1)), "inf.gguf", dir);
        await expectOneLineError(file("inf.gguf"), /Infinity/);

        writeFileSync(file("empty.gguf"), writeGguf({"general.architecture": gguf.str("controlvector")}, []));
        await expectOneLineError(file("empty.gguf"), /no direction\.N tensors/);

        writeFileSync(file("model.gguf"), writeGguf({"general.architecture": gguf.str("llama")},
            [{name: "token_embd.weight", dims: [4, 2], data: new Float32Array(8)}]));
        await expectOneLineError(file("model.gguf"), /"llama" GGUF, not a control vector/);

        writeFileSync(file("zero.gguf"), writeGguf({"general.architecture": gguf.str("controlvector")},
            [{name: "direction.0", dims: [4], data: new Float32Array(4)}]));
        await expectOneLineError(file("zero.gguf"), /direction\.0/);

        writeFileSync(file("mixed.gguf"), writeGguf({"general.architecture": gguf.str("controlvector")},
            [{name: "direction.1", dims: [4], data: new Float32Array(4)}, {name: "direction.2", dims: [5], data: new Float32Array(5)}]));
        await expectOneLineError(file("mixed.gguf"), /5 values but earlier directions have 4/);

        writeFileSync(file("2d.gguf"), writeGguf({"general.architecture": gguf.str("controlvector")},
            [{name: "direction.1", dims: [2, 2], data: new Float32Array(4)}]));
        await expectOneLineError(file("2d.gguf"), /not 1-D/);
    });

    it("survives fuzzing: mutated and truncated files load or fail with one clear line, never anything else", {timeout: 60_000}, async () => {
        const base = readFileSync(writeVector(vectorOf(8, [1, 2, 3], (l, i) => l + i / 10), "base.gguf", dir));
        const rand = seededRandom(1234);
        const target = file("fuzz.gguf");
        let loaded = 0;
        let rejected = 0;
        for (let round = 0; round < 400; round++) {
            let bytes = Buffer.from(base);
            const mode = round % 4;
            if (mode === 0 || mode === 3) {
                const flips = 1 + Math.floor(rand() * 8);
                for (let f = 0; f < flips; f++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
            }
            if (mode === 1 || mode === 3) bytes = bytes.subarray(0, Math.floor(rand() * bytes.length));
            if (mode === 2) {
                // overwrite a run of bytes in the header, where lengths and counts live
                const at = Math.floor(rand() * Math.min(200, bytes.length));
                for (let i = at; i < Math.min(bytes.length, at + 8); i++) bytes[i] = 0xff;
            }
            writeFileSync(target, bytes);
            try {
                const vector = await loadControlVector(target);
                for (const d of vector.directions.values()) expect(d.every(Number.isFinite)).toBe(true);
                loaded++;
            } catch (err) {
                expect(err, `round ${round}: ${String(err)}`).toBeInstanceOf(UserFacingError);
                expect((err as Error).message).toContain(target);
                expect((err as Error).message).not.toContain("\n");
                rejected++;
            }
        }
        expect(loaded + rejected).toBe(400);
        expect(rejected).toBeGreaterThan(100);
    });
});
