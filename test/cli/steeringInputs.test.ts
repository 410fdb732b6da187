/**
 * What the real binary does with coefficients, mixes and output files it should refuse: one line on stderr naming
 * the value or file and the fix, exit 2, and nothing overwritten.
 */
import {execFile} from "node:child_process";
import {readFileSync, writeFileSync} from "node:fs";
import path from "node:path";
import {promisify} from "node:util";
import {describe, expect, it} from "vitest";
import {loadControlVector} from "../../src/steering/loadControlVector.js";
import {repoRoot, tempDir, vectorOf, writeSyntheticModel, writeVector} from "../helpers/steeringTestKit.js";

const execFileAsync = promisify(execFile);
const bin = path.join(repoRoot, "bin", "steer-chat.js");
// the shipped vectors fit this generated model (64 wide, 5 layers)
const model = writeSyntheticModel({nEmbd: 64, nLayer: 5, seed: 11});

async function run(...args: string[]) {
    const env = {...process.env, STEER_CHAT_CONFIG_DIR: tempDir()};
    try {
        const {stdout, stderr} = await execFileAsync(process.execPath, [bin, ...args], {cwd: repoRoot, env});
        return {code: 0, stdout, stderr};
    } catch (err) {
        const e = err as {code: number, stdout: string, stderr: string};
        return {code: e.code, stdout: e.stdout, stderr: e.stderr};
    }
}

function oneLine(result: {code: number, stdout: string, stderr: string}): string {
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines, result.stderr).toHaveLength(1);
    return lines[0]!;
}

const ask = (...args: string[]) => run("ask", "--raw", "--temperature", "0", "--max-tokens", "4", "--model", model, ...args, "the cat");

describe("coefficients and mixes that would give infinities are refused", () => {
    it("--vector happy:1e308 names the bound", async () => {
        expect(oneLine(await ask("--vector", "happy:1e308"))).toBe('steer-chat: Coefficient "1e308" in "happy:1e308" is out of range — ' +
            "write NAME:C with C a number from -1000 to 1000, e.g. happy:0.5");
        expect(oneLine(await ask("--vector", "happy:3e38"))).toMatch(/^steer-chat: Coefficient "3e38" in "happy:3e38" is out of range/);
    });

    it("two finite vectors whose sum overflows float32 are refused, naming the one that tipped it", async () => {
        const dir = tempDir();
        const a = writeVector(vectorOf(64, [1], () => 3.4e38), "a.gguf", dir);
        const b = writeVector(vectorOf(64, [1], () => 3.4e38), "b.gguf", dir);
        expect((await ask("--vector", a)).code).toBe(0); // each alone is fine
        expect(oneLine(await ask("--vector", a, "--vector", b))).toBe(`steer-chat: Adding b (${b}) at 1 makes the steering at layer 1 overflow float32 ` +
            "(infinite values) — lower the coefficients, or check the vector files' values");
    });
});

describe("import --layer takes a layer in decimal digits, as /layers does", () => {
    it("2.5, 1e21 and 0x10 are refused in one line naming the value and the fix (exit 2), before any file is read", async () => {
        for (const layer of ["2.5", "1e21", "0x10"])
            expect(oneLine(await run("import", "missing.npy", "--layer", layer, "--output", path.join(tempDir(), "v.gguf"))))
                .toBe(`steer-chat: Invalid layer for --layer: "${layer}" — a layer is a whole number >= 1 in decimal digits, e.g. 6`);
    });
});

describe("train and import --output never replace what is not a vector without --force", () => {
    it("an existing non-vector file is refused before any work, and kept; a vector is replaced; --force replaces anything", async () => {
        const dir = tempDir();
        const notes = path.join(dir, "x.md");
        writeFileSync(notes, "my notes\n");
        const direction = path.join(dir, "d.json");
        writeFileSync(direction, JSON.stringify(Array.from({length: 64}, (_, i) => Math.sin(i))));
        expect(oneLine(await run("import", direction, "--layer", "2", "--output", notes)))
            .toBe(`steer-chat: ${notes} exists and is not a control vector — pass --force to replace it, or choose another --output`);
        expect(oneLine(await run("train", "--model", model, "--recipe", "happy", "--output", notes)))
            .toBe(`steer-chat: ${notes} exists and is not a control vector — pass --force to replace it, or choose another --output`);
        expect(readFileSync(notes, "utf8")).toBe("my notes\n");

        const vector = writeVector(vectorOf(64, [1], () => 1), "v.gguf", dir);
        expect((await run("import", direction, "--layer", "2", "--output", vector)).code).toBe(0);
        expect([...(await loadControlVector(vector)).directions.keys()]).toEqual([2]);
        const forced = await run("import", direction, "--layer", "3", "--output", notes, "--force");
        expect(forced.code, forced.stderr).toBe(0);
        expect([...(await loadControlVector(notes)).directions.keys()]).toEqual([3]);
    });
});
