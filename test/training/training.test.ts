/** Training on a live model: parity with llama.cpp's cvector-generator, capture/apply agreement, bad input. */
import {execFile} from "node:child_process";
import {writeFileSync} from "node:fs";
import path from "node:path";
import {promisify} from "node:util";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {tokenizePrompt} from "../../src/engine/generateTokens.js";
import {loadControlVector} from "../../src/steering/loadControlVector.js";
import {mixControlVectors} from "../../src/steering/mixControlVectors.js";
import {loadNativeSteering} from "../../src/native/steeringBridge.js";
import {cosine} from "../../src/training/directionMethods.js";
import {readPromptFile} from "../../src/training/promptFiles.js";
import {trainControlVector} from "../../src/training/trainControlVector.js";
import {fixtureVectors, repoRoot, storiesModel, tempDir, vectorOf, writeSyntheticModel} from "../helpers/steeringTestKit.js";

const run = promisify(execFile);
const prompts = (name: string) => readPromptFile(path.join(repoRoot, "test", "fixtures", "prompts", `${name}.txt`));

describe("training on stories260K", () => {
    let loaded: LoadedModel;
    beforeAll(async () => { loaded = await loadModel(storiesModel, {gpu: false, contextSize: 256}); });
    afterAll(async () => loaded?.dispose());

    it("mean / all positions matches cvector-generator's directions, one block later (|cos| >= 0.99)", async () => {
        const {vector} = await trainControlVector(loaded, {positives: prompts("happy"), negatives: prompts("sad"), method: "mean", positions: "all"});
        // test/fixtures/vectors/happy.gguf: llama-cvector-generator --method mean on the same prompt files
        const reference = await loadControlVector(path.join(fixtureVectors, "happy.gguf"));
        expect([...vector.directions.keys()]).toEqual([1, 2, 3, 4]);
        for (const layer of [1, 2, 3]) {
            const ours = vector.directions.get(layer)!;
            expect(Math.abs(cosine(ours, reference.directions.get(layer + 1)!)), `layer ${layer}`).toBeGreaterThanOrEqual(0.99);
            // and it is the shift that makes them agree, not chance
            expect(Math.abs(cosine(ours, reference.directions.get(layer)!)), `layer ${layer} unshifted`).toBeLessThan(0.95);
        }
        for (const d of vector.directions.values()) expect(Math.hypot(...d)).toBeCloseTo(1, 4);
    });

    it("every method and position mode gives unit directions with the positive side projecting higher", async () => {
        const status = loadNativeSteering();
        if (!status.available) throw new Error(status.reason);
        for (const method of ["mean", "pca", "pca-center"] as const) {
            for (const positions of ["last", "all"] as const) {
                const {vector} = await trainControlVector(loaded, {positives: prompts("dog"), negatives: prompts("cat"), method, positions, layers: {start: 2, end: 3}});
                expect([...vector.directions.keys()], `${method}/${positions}`).toEqual([2, 3]);
                for (const [layer, d] of vector.directions) expect(Math.hypot(...d), `${method}/${positions} L${layer}`).toBeCloseTo(1, 5);
                // project the last-token states of both sides on the layer-3 direction
                const capture = status.native.createCapture(loaded.context, 64, 1);
                try {
                    let margin = 0;
                    for (const [i, p] of prompts("dog").entries()) {
                        const pos = await capture.capture(tokenizePrompt(loaded.model, p));
                        const neg = await capture.capture(tokenizePrompt(loaded.model, prompts("cat")[i]!));
                        const last = (rows: Float32Array) => rows.subarray(rows.length - 64);
                        margin += cosine(last(pos[3]!), vector.directions.get(3)!) * Math.hypot(...last(pos[3]!))
                            - cosine(last(neg[3]!), vector.directions.get(3)!) * Math.hypot(...last(neg[3]!));
                    }
                    // the last-token margin is what "last" optimises; "all" averages every position, so its sign at the
                    // last token alone is not guaranteed
                    if (positions === "last") expect(margin, `${method}/${positions}`).toBeGreaterThan(0);
                } finally {
                    capture.free();
                }
            }
        }
    });

    it("--scale typical gives the unit direction scaled to the layer's mean hidden-state norm", async () => {
        const status = loadNativeSteering();
        if (!status.available) throw new Error(status.reason);
        const options = {positives: prompts("dog"), negatives: prompts("cat"), method: "mean" as const, positions: "last" as const, layers: {start: 1, end: 3}};
        const unit = (await trainControlVector(loaded, options)).vector;
        const typical = (await trainControlVector(loaded, {...options, scale: "typical"})).vector;
        // the mean norm of the last-token states of every prompt at each layer, measured here independently
        const capture = status.native.createCapture(loaded.context, 64, 1);
        const normSums = [0, 0, 0, 0];
        let count = 0;
        try {
            for (const p of [...prompts("dog"), ...prompts("cat")]) {
                const layers = await capture.capture(tokenizePrompt(loaded.model, p));
                for (let L = 1; L <= 3; L++) normSums[L]! += Math.hypot(...layers[L]!.subarray(layers[L]!.length - 64));
                count++;
            }
        } finally {
            capture.free();
        }
        for (let L = 1; L <= 3; L++) {
            const t = typical.directions.get(L)!;
            expect(cosine(t, unit.directions.get(L)!), `L${L}`).toBeCloseTo(1, 5);
            expect(Math.hypot(...t) / (normSums[L]! / count), `L${L}`).toBeCloseTo(1, 4);
        }
    });

    it("capture and apply agree: capturing with v applied at layer L shifts l_out-L by exactly v", async () => {
        const status = loadNativeSteering();
        if (!status.available) throw new Error(status.reason);
        const capture = status.native.createCapture(loaded.context, 32, 1);
        try {
            const tokens = tokenizePrompt(loaded.model, "Once upon a time");
            const plain = await capture.capture(tokens);
            const v = vectorOf(64, [3], (_, i) => ((i * 37) % 11) / 5 - 1);
            const mix = mixControlVectors([{vector: v, coefficient: 1, enabled: true, layers: {start: 3, end: 3}}],
                {nEmbd: 64, nLayer: 5})!;
            const steered = await capture.capture(tokens, {steering: mix});
            for (let layer = 0; layer < 3; layer++) expect(steered[layer]).toEqual(plain[layer]); // earlier layers: untouched
            const direction = v.directions.get(3)!;
            let worst = 0;
            for (let i = 0; i < plain[3]!.length; i++)
                worst = Math.max(worst, Math.abs(steered[3]![i]! - plain[3]![i]! - direction[i % 64]!));
            expect(worst).toBeLessThan(1e-5); // float rounding of (x + v) − x only
            expect(steered[4]).not.toEqual(plain[4]); // and the change flows on
            // the capture context is separate: the chat context's steering did not change
            expect(await capture.capture(tokens)).toEqual(plain);
        } finally {
            capture.free();
        }
    });

    it("the train CLI writes a vector our --vector loads (llama.cpp loads it too: see the trained-happy fixture)", async () => {
        const out = path.join(tempDir(), "ours.gguf");
        const {stdout} = await run(process.execPath, [path.join(repoRoot, "bin", "steer-chat.js"), "train", "--model", storiesModel,
            "--positive", path.join(repoRoot, "test/fixtures/prompts/happy.txt"), "--negative", path.join(repoRoot, "test/fixtures/prompts/sad.txt"),
            "--method", "mean", "--positions", "all", "--output", out], {cwd: repoRoot});
        expect(stdout).toMatch(/Wrote .*ours\.gguf: 4 layers, n_embd 64, \d+ tokens in [\d.]+ s \(mean, all positions\)/);
        const ours = await loadControlVector(out);
        const fixture = await loadControlVector(path.join(fixtureVectors, "trained-happy.gguf"));
        for (const [layer, d] of fixture.directions) expect(cosine(ours.directions.get(layer)!, d)).toBeGreaterThan(0.99999);
    });
});

describe("training input errors come before any compute", () => {
    const bin = path.join(repoRoot, "bin", "steer-chat.js");
    const train = async (...args: string[]) => {
        try {
            await run(process.execPath, [bin, "train", ...args], {cwd: repoRoot});
            return {code: 0, stderr: ""};
        } catch (err) {
            return err as {code: number, stderr: string};
        }
    };

    it("unequal prompt counts, empty files and missing files are one clear line, even before the model is loaded", async () => {
        const dir = tempDir();
        const write = (name: string, text: string) => { writeFileSync(path.join(dir, name), text); return path.join(dir, name); };
        const two = write("two.txt", "a\nb\n");
        const three = write("three.txt", "a\nb\nc\n");
        const empty = write("empty.txt", "\n  \n");
        // the model path does not exist: reaching it would give a different error
        const common = ["--model", path.join(dir, "no-model.gguf"), "--output", path.join(dir, "o.gguf")];
        const unequal = await train(...common, "--positive", two, "--negative", three);
        // counts are compared right after reading the files, before the (missing) model is looked for
        expect(unequal.code).toBe(2);
        expect(unequal.stderr).toMatch(/^steer-chat: Training needs as many positive prompts as negative ones: got 2 positive and 3 negative/);
        const emptied = await train(...common, "--positive", empty, "--negative", two);
        expect(emptied.code).toBe(2);
        expect(emptied.stderr).toBe(`steer-chat: Prompt file ${empty} has no prompts — write one prompt a line\n`);
        const missing = await train(...common, "--positive", path.join(dir, "nope.txt"), "--negative", two);
        expect(missing.stderr).toContain(`Prompt file not found: ${path.join(dir, "nope.txt")}`);
        const both = await train(...common, "--recipe", "happy", "--positive", two);
        expect(both.stderr).toContain("either --recipe NAME, --describe TEXT or --positive FILE --negative FILE");
        const recipe = await train(...common, "--recipe", "nosuch");
        expect(recipe.stderr).toMatch(/No recipe named "nosuch" — recipes: concise, confident, eiffel, formal, happy/);
    });

    it("import writes a one-layer vector at the llama.cpp layer the file's hook names, and says how it read it", async () => {
        const dir = tempDir();
        const source = path.join(dir, "np.json");
        writeFileSync(source, JSON.stringify({hook_name: "blocks.3.hook_resid_pre", vector: [0.5, -1, 2, 0]}));
        const output = path.join(dir, "v.gguf");
        const {stderr} = await run(process.execPath, [bin, "import", source, "--output", output], {cwd: repoRoot});
        expect(stderr).toContain("Layer from the file: blocks.3.hook_resid_pre → layer 2");
        const vector = await loadControlVector(output);
        expect([...vector.directions.keys()]).toEqual([2]);
        expect([...vector.directions.get(2)!]).toEqual([0.5, -1, 2, 0]);
        // --layer wins over the file
        await run(process.execPath, [bin, "import", source, "--layer", "4", "--output", output], {cwd: repoRoot});
        expect([...(await loadControlVector(output)).directions.keys()]).toEqual([4]);
        const mid = path.join(dir, "mid.json");
        writeFileSync(mid, JSON.stringify({hook_name: "blocks.3.hook_resid_mid", vector: [1, 2, 3, 4]}));
        const refused = await run(process.execPath, [bin, "import", mid, "--output", output]).catch((e: {stderr: string}) => e);
        expect(refused.stderr).toMatch(/^steer-chat: Cannot import .*mid\.json: blocks\.3\.hook_resid_mid is inside block 3.* — pass --layer N/);
        await run(process.execPath, [bin, "import", mid, "--layer", "3", "--output", output], {cwd: repoRoot});
        expect([...(await loadControlVector(output)).directions.keys()]).toEqual([3]);
        const bad = await run(process.execPath, [bin, "import", path.join(dir, "nope.json"), "--output", output]).catch((e: {stderr: string}) => e);
        expect(bad.stderr).toBe(`steer-chat: File not found: ${path.join(dir, "nope.json")}\n`);
    });

    it("unequal counts and prompts longer than the context fail before capture starts", async () => {
        const loaded = await loadModel(writeSyntheticModel({nEmbd: 16, nLayer: 3, contextLength: 32, seed: 9}),
            {gpu: false, contextSize: 32});
        try {
            await expect(trainControlVector(loaded, {positives: ["the cat"], negatives: ["the dog", "a sun"]}))
                .rejects.toThrow("got 1 positive and 2 negative");
            await expect(trainControlVector(loaded, {positives: [], negatives: []})).rejects.toThrow(/at least one/);
            const long = Array(40).fill("the cat sat").join(" ");
            let progressed = false;
            await expect(trainControlVector(loaded, {positives: ["the cat", long], negatives: ["the dog", "a sun"], onProgress: () => { progressed = true; }}))
                .rejects.toThrow(/Prompt pair 2 is \d+ tokens long, more than the 32 the model can take/);
            expect(progressed).toBe(false);
            const aborted = new AbortController();
            aborted.abort();
            await expect(trainControlVector(loaded, {positives: ["the cat"], negatives: ["the dog"], signal: aborted.signal})).rejects.toThrow(/cancelled/);
            // 140k pairs (prompt files of 140k lines): the longest pair is found without spreading into Math.max,
            // which overflowed the stack; cancelled before the first capture, so nothing is evaluated
            const many = Array.from({length: 140_000}, (_, i) => (i % 2 ? "the cat" : "a sun"));
            await expect(trainControlVector(loaded, {positives: many, negatives: many, signal: aborted.signal})).rejects.toThrow("Training was cancelled");
        } finally {
            await loaded.dispose();
        }
    });
});
