/** The real binary with --vector / --layers against llama.cpp's own output, bad vectors, and `steer-chat vectors`. */
import {execFile} from "node:child_process";
import {createHash} from "node:crypto";
import {copyFileSync, mkdirSync, readFileSync, writeFileSync} from "node:fs";
import path from "node:path";
import {promisify} from "node:util";
import {describe, expect, it} from "vitest";
import {fixtureVectors, repoRoot, storiesModel, tempDir} from "../helpers/steeringTestKit.js";

const run = promisify(execFile);
const bin = path.join(repoRoot, "bin", "steer-chat.js");

type Case = {prompt: string, maxTokens: number, vectors?: string[], layers?: [number, number], expected: string};
const fixtures = JSON.parse(readFileSync(path.join(repoRoot, "test", "fixtures", "llama-completion.json"), "utf8")) as {cases: Case[]};
const steeredCases = fixtures.cases.filter((c) => c.vectors != null);

async function ask(args: string[], env: NodeJS.ProcessEnv = process.env) {
    try {
        const {stdout, stderr} = await run(process.execPath, [bin, "ask", ...args], {cwd: repoRoot, env});
        return {code: 0, stdout, stderr};
    } catch (err) {
        const e = err as {code: number, stdout: string, stderr: string};
        return {code: e.code, stdout: e.stdout, stderr: e.stderr};
    }
}

describe("ask --vector equals llama-completion --control-vector-scaled", () => {
    it("has steered fixtures made by llama.cpp", () => {
        expect(steeredCases.length).toBeGreaterThanOrEqual(4);
        expect(steeredCases.some((c) => (c.vectors?.length ?? 0) > 1)).toBe(true);
        expect(steeredCases.some((c) => c.layers != null)).toBe(true);
    });

    for (const c of steeredCases) {
        it(`${JSON.stringify(c.prompt)} with ${c.vectors!.join(" + ")}${c.layers ? ` on layers ${c.layers.join("-")}` : ""}`, async () => {
            const args = ["--raw", "--temperature", "0", "--max-tokens", String(c.maxTokens), "--model", storiesModel];
            for (const v of c.vectors!) args.push("--vector", path.join(fixtureVectors, v));
            if (c.layers) args.push("--layers", c.layers.join("-"));
            const result = await ask([...args, c.prompt]);
            expect(result.stderr).toBe("");
            expect(result.code).toBe(0);
            expect(result.stdout).toBe(c.expected);
        });
    }

    it("has llama.cpp's output for the same file given twice (it sums them)", () => {
        const files = (c: Case) => c.vectors!.map((v) => v.split(":")[0]);
        expect(steeredCases.filter((c) => new Set(files(c)).size < files(c).length).map((c) => c.vectors!.length)).toEqual([2, 3]);
    });

    it("two different files with one name are both applied, as llama.cpp applies them", async () => {
        const reference = steeredCases.find((c) => c.vectors!.join() === "happy.gguf:1.5,dog.gguf:-0.75")!;
        const dir = tempDir();
        for (const [sub, source] of [["a", "happy.gguf"], ["b", "dog.gguf"]] as const) {
            mkdirSync(path.join(dir, sub));
            copyFileSync(path.join(fixtureVectors, source), path.join(dir, sub, "x.gguf"));
        }
        const result = await ask(["--raw", "--temperature", "0", "--max-tokens", String(reference.maxTokens), "--model", storiesModel,
            "--vector", `${path.join(dir, "a", "x.gguf")}:1.5`, "--vector", `${path.join(dir, "b", "x.gguf")}:-0.75`, reference.prompt]);
        expect(result.stderr).toBe("");
        expect(result.stdout).toBe(reference.expected);
    });

    it("a bad vector file fails with one line naming the file, exit code 2, no stack trace", async () => {
        const bad = path.join(tempDir(), "broken.gguf");
        writeFileSync(bad, "GGUF but not really");
        const result = await ask(["--raw", "--model", storiesModel, "--vector", `${bad}:0.5`, "Hi"]);
        expect(result.code).toBe(2);
        expect(result.stdout).toBe("");
        expect(result.stderr.trim().split("\n")).toHaveLength(1);
        expect(result.stderr).toContain(bad);
        expect(result.stderr).not.toMatch(/\n\s+at /);
    });

    it("a bad --layers value is one clear line", async () => {
        const result = await ask(["--raw", "--model", storiesModel, "--vector", path.join(fixtureVectors, "happy.gguf"), "--layers", "3-99", "Hi"]);
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(/^steer-chat: Invalid layer range 3-99 — use START-END within 1-4/);
    });

    it("--layers 5-5 is refused on stories260K, whose steerable layers are 1-4 (it has 5)", async () => {
        const result = await ask(["--raw", "--model", storiesModel, "--vector", path.join(fixtureVectors, "happy.gguf"), "--layers", "5-5", "Hi"]);
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(/^steer-chat: Invalid layer range 5-5 — use START-END within 1-4/);
    });
});

describe("steer-chat vectors", () => {
    it("lists the user's vectors one a line with layers, n_embd and model hint", async () => {
        const config = tempDir();
        mkdirSync(path.join(config, "vectors"));
        copyFileSync(path.join(fixtureVectors, "happy.gguf"), path.join(config, "vectors", "joy.gguf"));
        writeFileSync(path.join(config, "vectors", "junk.gguf"), "nope");
        const {stdout} = await run(process.execPath, [bin, "vectors"], {cwd: repoRoot, env: {...process.env, STEER_CHAT_CONFIG_DIR: config}});
        const lines = stdout.trim().split("\n");
        const joy = lines.find((l) => l.startsWith("joy"));
        expect(joy).toMatch(/joy\s+4 layers \(top 4\)\s+n_embd 64\s+model llama\s+no score\s+\[user\]/); // cvector-generator stores no score
        expect(lines.find((l) => l.startsWith("junk"))).toMatch(/unreadable: .*not a GGUF file/);
    });

    it("with --model it lists the vectors trained for that model, and says which file a shared name means", async () => {
        const config = tempDir();
        const hash = createHash("sha256").update(readFileSync(storiesModel)).digest("hex").slice(0, 16);
        const trained = path.join(config, "data", "trained", hash);
        mkdirSync(trained, {recursive: true});
        copyFileSync(path.join(fixtureVectors, "happy.gguf"), path.join(trained, "happy.gguf"));
        const {stdout} = await run(process.execPath, [bin, "vectors", "--model", storiesModel], {cwd: repoRoot, env: {...process.env, STEER_CHAT_CONFIG_DIR: config}});
        const happy = stdout.trim().split("\n").filter((l) => l.startsWith("happy "));
        expect(happy).toHaveLength(2);
        expect(happy[0]).toMatch(/\[trained for this model\] .*happy\.gguf$/);
        expect(happy[1]).toMatch(/\[shipped\] .*\(the name happy means the \[trained for this model\] one\)$/);
    });
});
