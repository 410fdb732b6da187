/**
 * `steer-chat read`: the table, --json and --npy agree with each other on the demo model; the .npy is what NumPy
 * expects; top tokens are grouped by token and word; bad input is one clear line before the model loads.
 */
import {execFile} from "node:child_process";
import {copyFileSync, lstatSync, readdirSync, readFileSync, symlinkSync, writeFileSync} from "node:fs";
import path from "node:path";
import {promisify} from "node:util";
import {describe, expect, it} from "vitest";
import {layerCheck, topTokens, wordsOfTokens} from "../../src/cli/readCommand.js";
import {loadControlVector} from "../../src/steering/loadControlVector.js";
import {encodeNpyFloat32} from "../../src/steering/npyWriter.js";
import {parseDirection} from "../../src/training/importDirection.js";
import {vectorOf, writeVector} from "../helpers/steeringTestKit.js";
import {expectOneLineError, runCli} from "../helpers/cliRun.js";
import {repoRoot, storiesModelPath, tempDir} from "../helpers/tinyModel.js";

const run = promisify(execFile);
const bin = path.join(repoRoot, "bin", "steer-chat.js");
const sueVector = path.join(repoRoot, "vectors", "sue.gguf");

async function read(...args: string[]) {
    try {
        const {stdout, stderr} = await run(process.execPath, [bin, "read", "--threads", "1", ...args], {cwd: repoRoot});
        return {code: 0, stdout, stderr};
    } catch (err) {
        return err as {code: number, stdout: string, stderr: string};
    }
}

/** NumPy's .npy header and float32 data, read back by hand */
function parseNpy2d(bytes: Buffer) {
    const headerLength = bytes.readUInt16LE(8);
    const header = bytes.subarray(10, 10 + headerLength).toString("latin1");
    const shape = /'shape': \((\d+), (\d+)\)/.exec(header)!.slice(1).map(Number);
    const data = bytes.subarray(10 + headerLength);
    return {header, dataOffset: 10 + headerLength, shape,
        values: Float32Array.from({length: data.length / 4}, (_, i) => data.readFloatLE(i * 4))};
}

describe(".npy writer", () => {
    it("writes NumPy 1.0 with a 64-byte aligned header, C order, little-endian float32", () => {
        const bytes = encodeNpyFloat32([2, 3], [1, 2, 3, 4, 5, 6.5]);
        expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x93, ...Buffer.from("NUMPY"), 1, 0]));
        const npy = parseNpy2d(bytes);
        expect(npy.dataOffset % 64).toBe(0);
        expect(npy.header.endsWith("\n")).toBe(true);
        expect(npy.header).toContain("'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)");
        expect([...npy.values]).toEqual([1, 2, 3, 4, 5, 6.5]);
        expect(() => encodeNpyFloat32([2, 2], [1, 2, 3])).toThrow(/needs 4 values/);
    });

    it("a 1-D array reads back through the importer's .npy reader", () => {
        const direction = parseDirection("x.npy", encodeNpyFloat32([4], [0.5, -1, 2, 3]));
        expect([...direction.values]).toEqual([0.5, -1, 2, 3]);
    });
});

describe("top tokens", () => {
    it("finds each token's word, leading spaces and punctuation aside", () => {
        expect(wordsOfTokens(["S", "ue", " went", " h", "ome.", "\n", "S", "ue"])).toEqual(["Sue", "Sue", "went", "home.", "home.", "", "Sue", "Sue"]);
    });

    it("groups a token in the same word, averages its z, and sorts highest first", () => {
        const tokens = ["S", "ue", " ran", " S", "ue", " sat"];
        const top = topTokens(tokens, [1, 3, 0, 2, 5, -1], 3);
        expect(top).toEqual([
            {token: "ue", word: "Sue", z: 4, occurrences: 2},
            {token: " S", word: "Sue", z: 2, occurrences: 1},
            {token: "S", word: "Sue", z: 1, occurrences: 1}
        ]);
    });
});

describe("steer-chat read on the demo model", () => {
    it("--json, --npy and the table report the same read-out", async () => {
        const dir = tempDir();
        const text = readFileSync(path.join(repoRoot, "vectors", "demo", "sue.txt"), "utf8");
        const npyFile = path.join(dir, "sue.npy");
        const json = await read("--model", storiesModelPath, "--vector", sueVector, "--json", "--npy", npyFile, text);
        expect(json.code, json.stderr).toBe(0);
        const report = JSON.parse(json.stdout);
        expect(report.vector).toBe("sue");
        expect(report.layers.map((l: {layer: number}) => l.layer)).toEqual([1, 2, 3, 4]);
        expect(report.perToken).toHaveLength(report.tokens);
        // every token's text, in order, is the text itself
        expect(report.perToken.map((t: {text: string}) => t.text).join("").trim()).toBe(text.trim());
        const meanZ = report.layers.reduce((s: number, l: {z: number}) => s + l.z, 0) / 4;
        expect(report.z).toBeCloseTo(meanZ, 12);
        for (const l of report.layers) expect(l.z).toBeCloseTo((l.meanProjection - l.baselineMean) / l.baselineSpread, 12);

        const npy = parseNpy2d(readFileSync(npyFile));
        expect(npy.shape).toEqual([report.tokens, 4]);
        report.layers.forEach((l: {meanProjection: number}, j: number) => {
            let sum = 0;
            for (let t = 0; t < report.tokens; t++) sum += npy.values[t * 4 + j]!;
            expect(sum / report.tokens).toBeCloseTo(l.meanProjection, 4);
        });
        expect(json.stderr).toContain(`${report.tokens} tokens × layers 1, 2, 3, 4`);

        const textFile = path.join(dir, "sue.txt");
        writeFileSync(textFile, text);
        const table = await read("--model", storiesModelPath, "--vector", "sue", "--file", textFile);
        expect(table.code, table.stderr).toBe(0);
        const lines = table.stdout.trimEnd().split("\n");
        expect(lines[0]).toBe(`sue read on ${report.tokens} tokens (z-scores against the built-in neutral text)`);
        for (const [i, l] of report.layers.entries()) {
            const cells = lines[2 + i]!.trim().split(/\s+/);
            expect(Number(cells[0])).toBe(l.layer);
            expect(Number(cells[2])).toBeCloseTo(l.z, 2);
        }
        expect(lines.at(-2)).toContain(`overall z ${report.z >= 0 ? "+" : ""}${report.z.toFixed(2)}`);
        expect(lines.at(-1)).toMatch(/^top tokens: /);
    });

    it("--layers reads only those of the vector's layers", async () => {
        const result = await read("--model", storiesModelPath, "--vector", sueVector, "--layers", "2-3", "--json", "Sue went home.");
        expect(result.code, result.stderr).toBe(0);
        expect(JSON.parse(result.stdout).layers.map((l: {layer: number}) => l.layer)).toEqual([2, 3]);
    });
});

describe("reading an imported direction at every layer (a check of its layer mapping)", () => {
    it("judges the layer only against a contrast text, and names the fix for an off-by-one", () => {
        expect(layerCheck(3, 4, false)).toMatch(/pass --baseline F/);
        expect(layerCheck(4, 4, true)).toBe("layer check: the concept reads highest at the direction's own layer 4");
        expect(layerCheck(3, 4, true)).toMatch(/highest at layer 4, not the direction's own layer 3\. .*hook_resid_pre is layer N−1.*--layer 4\)/);
        expect(layerCheck(1, 4, true)).not.toMatch(/--layer/); // two layers off is not a resid_pre/post mix-up
    });

    it("sue's layer-4 direction, imported as Neuronpedia names it, reads highest at layer 4; one block off, the check says so", async () => {
        const dir = tempDir();
        const sue = await loadControlVector(sueVector);
        const values = [...sue.directions.get(4)!];
        const imported = async (hook: string) => {
            const source = path.join(dir, `${hook}.json`);
            writeFileSync(source, JSON.stringify({hook_name: hook, vector: values}));
            const output = path.join(dir, `${hook}.gguf`);
            await run(process.execPath, [bin, "import", source, "--output", output], {cwd: repoRoot});
            return output;
        };
        const right = await imported("blocks.5.hook_resid_pre"); // the input of block 5 is block 4's output: layer 4
        const wrong = await imported("blocks.4.hook_resid_pre"); // as if it had been read a block earlier: layer 3
        const texts = ["--file", path.join(repoRoot, "vectors", "demo", "sue.txt"), "--baseline", path.join(repoRoot, "vectors", "demo", "not-sue.txt")];
        const [rightJson, wrongTable, plain] = await Promise.all([
            read("--model", storiesModelPath, "--vector", right, "--across-layers", "--json", ...texts),
            read("--model", storiesModelPath, "--vector", wrong, "--across-layers", ...texts),
            read("--model", storiesModelPath, "--vector", right, "--json", ...texts)]);
        for (const r of [rightJson, wrongTable, plain]) expect(r.code, r.stderr).toBe(0);

        const report = JSON.parse(rightJson.stdout);
        expect(report).toMatchObject({ownLayer: 4, baseline: "not-sue.txt"});
        const layers = report.layers as {layer: number, z: number}[];
        expect(layers.map((l) => l.layer)).toEqual([1, 2, 3, 4]);
        const best = layers.reduce((a, b) => (b.z > a.z ? b : a));
        expect(best.layer, JSON.stringify(layers)).toBe(4);
        // at its own layer the read is the ordinary read of the file
        expect(layers[3]!.z).toBeCloseTo(JSON.parse(plain.stdout).layers[0].z, 10);

        const lines = wrongTable.stdout.split("\n");
        expect(lines[0]).toMatch(/against not-sue\.txt\), its layer-3 direction read at every layer$/);
        expect(lines.find((l) => /^ +3 /.test(l))).toMatch(/← its layer$/);
        expect(wrongTable.stdout).toMatch(/layer check: the concept reads highest at layer 4, not the direction's own layer 3\. .*re-import with --layer 4/);
    });

    it("with --layers its own layer may go unread, and then no layer is blamed; a layer the model lacks is one line", async () => {
        const dir = tempDir();
        const four = writeVector(vectorOf(64, [4], (_, i) => Math.sin(i + 1)), "four.gguf", dir);
        const nine = writeVector(vectorOf(64, [9], (_, i) => Math.sin(i + 1)), "nine.gguf", dir);
        const [some, beyond] = await Promise.all([
            read("--model", storiesModelPath, "--vector", four, "--across-layers", "--layers", "2-3", "--baseline",
                path.join(repoRoot, "vectors", "demo", "not-sue.txt"), "Sue went home."),
            read("--model", storiesModelPath, "--vector", nine, "--across-layers", "Sue went home.")]);
        expect(some.code, some.stderr).toBe(0);
        expect(some.stdout.split("\n")[0]).toMatch(/its layer-4 direction read at layers 2, 3$/);
        expect(some.stdout).toContain("layer check: its own layer 4 was not read (--layers)");
        expect(some.stdout).not.toMatch(/re-import/);
        expect(beyond.code).toBe(2);
        expect(beyond.stderr.trim().split("\n")).toHaveLength(1);
        expect(beyond.stderr).toMatch(/direction is for layer 9, beyond the model's steerable layers 1-4/);
    });

    it("a vector with more than one layer is one line, exit 2, before the model loads", async () => {
        const result = await read("--model", path.join(tempDir(), "no-model.gguf"), "--vector", sueVector, "--across-layers", "text");
        expect(result.code).toBe(2);
        expect(result.stderr.trim().split("\n")).toHaveLength(1);
        expect(result.stderr).toMatch(/--across-layers reads a one-layer direction, but this vector has layers 1, 2, 3, 4/);
    });
});

describe("steer-chat read input errors", () => {
    const missingModel = path.join(tempDir(), "no-model.gguf");
    const cases: [string, string[], RegExp][] = [
        ["no vector", ["--model", missingModel, "text"], /read needs one --vector/],
        ["two vectors", ["--model", missingModel, "--vector", "sue", "--vector", "tim", "text"], /read needs one --vector/],
        ["no text", ["--model", missingModel, "--vector", sueVector], /read needs a text/],
        ["a text and a file", ["--model", missingModel, "--vector", sueVector, "--file", "x.txt", "text"], /a text or --file, not both/],
        ["a missing file", ["--model", missingModel, "--vector", sueVector, "--file", "no-such.txt"], /File not found: no-such\.txt/],
        ["a folder as the baseline", ["--model", missingModel, "--vector", sueVector, "--baseline", path.join(repoRoot, "test"), "text"],
            /Text file .*test is a folder, not a regular file/],
        ["a missing baseline", ["--model", missingModel, "--vector", sueVector, "--baseline", "no-such.txt", "text"], /File not found: no-such\.txt.*--baseline/],
        ["a missing vector", ["--model", missingModel, "--vector", "no-such-vector", "text"], /No vector named "no-such-vector"/],
        ["no model", ["--vector", sueVector, "text"], /read needs a model/]
    ];
    for (const [what, args, message] of cases) {
        it(`${what}: one line, exit 2, before the (missing) model is looked for`, async () => {
            const result = await read(...args);
            expect(result.code).toBe(2);
            expect(result.stderr.trim().split("\n")).toHaveLength(1);
            expect(result.stderr).toMatch(message);
        });
    }

    it("a vector of another model's size, or for layers the model lacks, is one clear line", async () => {
        const dir = tempDir();
        const wide = writeVector(vectorOf(32, [1, 2], () => 1), "wide.gguf", dir);
        const deep = writeVector(vectorOf(64, [9], () => 1), "deep.gguf", dir);
        const zero = writeVector(vectorOf(64, [2], () => 0), "zero.gguf", dir);
        const results = await Promise.all([wide, deep, zero].map((v) => read("--model", storiesModelPath, "--vector", v, "text")));
        for (const r of results) expect(r.code, r.stderr).toBe(2);
        expect(results[0]!.stderr).toMatch(/n_embd 32 but the model has 64/);
        expect(results[1]!.stderr).toMatch(/no direction at any layer of this model — its layers are 9; the model has 5/);
        expect(results[2]!.stderr).toMatch(/direction at layer 2 is zero: there is nothing to read/);
    });
});

describe("read --npy is written as every output is (the tests of train --output)", () => {
    const args = (npy: string, ...more: string[]) => ["read", "--threads", "1", "--model", storiesModelPath, "--vector", sueVector, "--npy", npy, ...more,
        "Sue went home."];

    it("an existing file that is not an .npy needs --force; an .npy is replaced; a link is replaced, never written through", async () => {
        const dir = tempDir();
        const notes = path.join(dir, "notes.txt");
        writeFileSync(notes, "my notes\n");
        expect(expectOneLineError(await runCli(args(notes))))
            .toBe(`steer-chat: ${notes} exists and is not a .npy file — pass --force to replace it, or choose another --npy`);
        expect(readFileSync(notes, "utf8")).toBe("my notes\n");
        expect((await runCli(args(notes, "--force"))).code).toBe(0);
        expect(readFileSync(notes).subarray(0, 6)).toEqual(Buffer.from([0x93, ...Buffer.from("NUMPY")]));
        const again = await runCli(args(notes)); // now an .npy: a read written again
        expect(again.code, again.stderr).toBe(0);

        const victim = path.join(tempDir(), "elsewhere.npy");
        copyFileSync(notes, victim);
        writeFileSync(victim, Buffer.concat([readFileSync(victim), Buffer.from("their bytes")]));
        const before = readFileSync(victim);
        const link = path.join(dir, "link.npy");
        symlinkSync(victim, link);
        const linked = await runCli(args(link));
        expect(linked.code, linked.stderr).toBe(0);
        expect(readFileSync(victim).equals(before)).toBe(true);
        expect(lstatSync(link).isSymbolicLink()).toBe(false);
    });

    it("a write that fails (a file-size limit, as a full disk) names the file and leaves the old one, or none, and no temporary file", async () => {
        const dir = tempDir();
        const old = path.join(dir, "old.npy");
        writeFileSync(old, encodeNpyFloat32([2], [1, 2]));
        const before = readFileSync(old);
        const fresh = path.join(dir, "fresh.npy");
        for (const file of [old, fresh]) {
            expect(expectOneLineError(await runCli(args(file), {fileSizeLimit: 100})))
                .toBe(`steer-chat: Could not write ${file}: the file is too large (EFBIG) — the system limits file sizes here (ulimit -f)`);
        }
        expect(readFileSync(old).equals(before)).toBe(true);
        expect(readdirSync(dir)).toEqual(["old.npy"]);
    });
});

