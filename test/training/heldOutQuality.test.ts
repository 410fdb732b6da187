/**
 * The quality score of trained vectors on the demo model: the sue pairs separate on held-out data, the written
 * vector still uses every pair, the score round-trips through the GGUF, and a vector whose held-out pairs contradict
 * its training pairs is warned about when it is trained, listed and added.
 */
import {execFile} from "node:child_process";
import {copyFileSync, mkdirSync, writeFileSync} from "node:fs";
import path from "node:path";
import {promisify} from "node:util";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {loadControlVector, saveControlVector} from "../../src/steering/loadControlVector.js";
import {heldOutSplit} from "../../src/steering/readout.js";
import {readPromptFile} from "../../src/training/promptFiles.js";
import {trainControlVector} from "../../src/training/trainControlVector.js";
import {repoRoot, storiesModelPath, tempDir} from "../helpers/tinyModel.js";

const run = promisify(execFile);
const bin = path.join(repoRoot, "bin", "steer-chat.js");
const demo = (name: string) => path.join(repoRoot, "vectors", "demo", `${name}.txt`);
const sue = {positives: readPromptFile(demo("sue")), negatives: readPromptFile(demo("not-sue"))};

async function cli(args: string[], env: Record<string, string> = {}) {
    try {
        const {stdout, stderr} = await run(process.execPath, [bin, ...args], {cwd: repoRoot, env: {...process.env, ...env}});
        return {code: 0, stdout, stderr};
    } catch (err) {
        return err as {code: number, stdout: string, stderr: string};
    }
}

describe("held-out quality on the demo model", () => {
    let loaded: LoadedModel;
    beforeAll(async () => { loaded = await loadModel(storiesModelPath, {gpu: false, contextSize: 512, threads: 1}); });
    afterAll(async () => loaded?.dispose());

    it("sue separates its held-out pairs at every layer, and the written vector is the one trained on every pair", async () => {
        const {vector} = await trainControlVector(loaded, {...sue, method: "mean", positions: "all"});
        const q = vector.quality!;
        expect(q).toMatchObject({trainPairs: 8, heldOutPairs: 2, seed: 0});
        expect(q.layers.map((l) => l.layer)).toEqual([1, 2, 3, 4]);
        for (const l of q.layers) {
            expect(l.auroc, `layer ${l.layer}`).toBe(1);
            expect(l.gapZ, `layer ${l.layer}`).toBeGreaterThan(0);
            expect(l.pairCosine, `layer ${l.layer}`).toBeGreaterThan(0.3);
        }
        expect(q.bestLayers).toHaveLength(3);
        // the scores round-trip through the GGUF (as float32)
        const file = path.join(tempDir(), "sue.gguf");
        saveControlVector(file, vector);
        const f = Math.fround;
        expect((await loadControlVector(file)).quality).toEqual({
            ...q,
            layers: q.layers.map((l) => ({layer: l.layer, auroc: f(l.auroc), gapZ: f(l.gapZ), pairCosine: f(l.pairCosine)}))
        });
        // the shipped sue.gguf was trained with the same flags on all ten pairs
        const shipped = await loadControlVector(path.join(repoRoot, "vectors", "sue.gguf"));
        for (const [layer, d] of shipped.directions) expect(vector.directions.get(layer), `layer ${layer}`).toEqual(d);
    });

    it("the seed picks the held-out pairs and is recorded", async () => {
        const seeds = [0, 1, 2, 3].filter((s) => heldOutSplit(10, {seed: s}).heldOut.join() !== heldOutSplit(10, {seed: 0}).heldOut.join());
        const other = seeds[0]!;
        const a = (await trainControlVector(loaded, {...sue, method: "mean", positions: "last", seed: 0})).vector;
        const b = (await trainControlVector(loaded, {...sue, method: "mean", positions: "last", seed: other})).vector;
        expect(b.quality!.seed).toBe(other);
        expect(b.quality!.layers).not.toEqual(a.quality!.layers);
        expect(b.directions).toEqual(a.directions); // the written vector does not depend on the split
    });

    it("one pair holds nothing out and has no score", async () => {
        const {vector} = await trainControlVector(loaded, {positives: sue.positives.slice(0, 1), negatives: sue.negatives.slice(0, 1)});
        expect(vector.quality).toBeUndefined();
    });
});

describe("the train CLI and a weak vector", () => {
    it("prints the held-out table, stores it, and warns about a vector whose held-out pairs contradict it", async () => {
        const dir = tempDir();
        const config = path.join(dir, "config");
        mkdirSync(path.join(config, "vectors"), {recursive: true});
        const env = {STEER_CHAT_CONFIG_DIR: config};

        const good = path.join(dir, "sue.gguf");
        const trained = await cli(["train", "--threads", "1", "--model", storiesModelPath, "--positive", demo("sue"), "--negative", demo("not-sue"),
            "--method", "mean", "--positions", "all", "--output", good], env);
        expect(trained.code, trained.stderr).toBe(0);
        // the result on stdout (to keep or pipe), not mixed with the progress on stderr
        expect(trained.stdout).toMatch(/^Wrote .*sue\.gguf: /);
        expect(trained.stdout).toContain("Held-out check: a direction trained on 8 pairs, scored on the other 2 (seed 0):");
        expect(trained.stdout).toMatch(/layer {2}AUROC {2}gap \(z\) {2}pair cos\n {4}1 {3}1\.00 {4}\+\d\.\d\d/);
        expect(trained.stderr).not.toContain("Held-out check");
        expect(trained.stderr).not.toMatch(/Warning/);
        const stored = (await loadControlVector(good)).quality!;
        expect(stored.heldOutPairs).toBe(2);
        for (const l of stored.layers) expect(trained.stdout).toMatch(new RegExp(`\\n {4}${l.layer} {3}${l.auroc.toFixed(2)} {2,}\\+${l.gapZ.toFixed(2)} {2,}${l.pairCosine.toFixed(2)}\\n`));

        // swap the sides of exactly the pairs the split holds out: the direction from the other 8 reads them backwards
        const heldOut = heldOutSplit(10, {seed: 0}).heldOut;
        const swap = (i: number) => heldOut.includes(i);
        writeFileSync(path.join(dir, "pos.txt"), sue.positives.map((p, i) => (swap(i) ? sue.negatives[i] : p)).join("\n"));
        writeFileSync(path.join(dir, "neg.txt"), sue.negatives.map((n, i) => (swap(i) ? sue.positives[i] : n)).join("\n"));
        const weak = path.join(config, "vectors", "muddled.gguf");
        const muddled = await cli(["train", "--threads", "1", "--model", storiesModelPath, "--positive", path.join(dir, "pos.txt"),
            "--negative", path.join(dir, "neg.txt"), "--method", "mean", "--positions", "all", "--output", weak], env);
        expect(muddled.code, muddled.stderr).toBe(0);
        // the warning on stderr, its own line (the table it follows went to stdout)
        expect(muddled.stderr).toMatch(/^steer-chat: Warning: muddled does not separate its own held-out pairs \(best AUROC 0\.00 at layer \d, below 0\.6\)/m);
        expect(muddled.stdout).toContain("Held-out check");

        copyFileSync(good, path.join(config, "vectors", "sue-scored.gguf"));
        const listed = await cli(["vectors"], env);
        const lines = listed.stdout.split("\n");
        expect(lines.find((l) => l.startsWith("sue-scored"))).toMatch(/ AUROC 1\.00 @L\d /);
        const muddledLine = lines.findIndex((l) => l.startsWith("muddled"));
        expect(lines[muddledLine]).toMatch(/ weak: AUROC 0\.00 @L\d /);
        expect(lines[muddledLine + 1]).toMatch(/^\s+Warning: muddled does not separate its own held-out pairs/);

        // adding it warns too (ask prints steering notes on stderr, the reply on stdout)
        const asked = await cli(["ask", "--threads", "1", "--model", storiesModelPath, "--raw", "--max-tokens", "4", "--temperature", "0",
            "--vector", "muddled:0.5", "Once"], env);
        expect(asked.code, asked.stderr).toBe(0);
        expect(asked.stderr).toMatch(/^steer-chat: Warning: muddled does not separate its own held-out pairs/m);
        const plain = await cli(["ask", "--threads", "1", "--model", storiesModelPath, "--raw", "--max-tokens", "4", "--temperature", "0",
            "--vector", `${good}:0.5`, "Once"], env);
        expect(plain.stderr).not.toMatch(/Warning/);
    });
});
