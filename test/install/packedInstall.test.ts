/**
 * What a registry user gets: `npm pack`, then `npx --package ./steer-chat-X.tgz steer-chat ask …` in an empty folder,
 * with a fresh HOME (empty npm cache, no ~/.npmrc) and a PATH holding only node, npm, npx and a shell: no git, make,
 * cc, c++ or python. The packed prebuild must steer exactly as llama.cpp does, and nothing may be compiled.
 */
import {execFileSync} from "node:child_process";
import {existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync} from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {runProcess} from "../helpers/runProcess.js";
import {repoRoot, tempDir} from "../helpers/tinyModel.js";

type Fixture = {prompt: string, maxTokens: number, vectors?: string[], layers?: [number, number], expected: string};
const fixtures = (JSON.parse(readFileSync(path.join(repoRoot, "test", "fixtures", "llama-completion.json"), "utf8")) as {cases: Fixture[]}).cases;

/** a bin folder with only what a user's machine is sure to have for Node: node, npm, npx and sh */
function minimalPath(): string {
    const bin = tempDir("steer-userbin-");
    const which = (tool: string) => realpathSync(execFileSync("sh", ["-c", `command -v ${tool}`], {encoding: "utf8"}).trim());
    for (const tool of ["node", "npm", "npx", "sh"]) symlinkSync(which(tool), path.join(bin, tool));
    return bin;
}

describe("a packed package installed as a registry user installs it", () => {
    it("steers exactly as llama.cpp does, from the prebuilt helper, with nothing compiled", async () => {
        const packDir = tempDir("steer-pack-");
        // npm pack runs prepack (prebuildify) and prepare (tsc), as a publish does
        execFileSync("npm", ["pack", "--pack-destination", packDir], {cwd: repoRoot, stdio: "ignore"});
        const tarball = path.join(packDir, readdirSync(packDir).find((f) => f.endsWith(".tgz"))!);

        const home = tempDir("steer-home-");
        const project = tempDir("steer-user-");
        const env = {HOME: home, PATH: minimalPath(), CI: "true"};
        expect(() => execFileSync("sh", ["-c", "command -v git || command -v make || command -v cc || command -v c++ || command -v python3"],
            {env, stdio: "pipe"})).toThrow(); // the user's PATH really has none of them

        const model = path.join(repoRoot, "models", "stories260K.gguf");
        const vectorsDir = path.join(repoRoot, "test", "fixtures", "vectors");
        const cases = [
            fixtures.find((c) => c.vectors == null)!,
            ...fixtures.filter((c) => c.vectors != null && c.layers != null).slice(0, 1),
            fixtures.find((c) => (c.vectors?.length ?? 0) > 1 && c.layers == null)!
        ];
        for (const c of cases) {
            const args = ["--yes", "--package", tarball, "steer-chat", "ask", "--raw", "--temperature", "0", "--max-tokens", String(c.maxTokens),
                "--model", model];
            for (const v of c.vectors ?? []) args.push("--vector", path.join(vectorsDir, v));
            if (c.layers) args.push("--layers", `${c.layers[0]}-${c.layers[1]}`);
            const result = await runProcess("npx", [...args, c.prompt], {cwd: project, env});
            expect(result.stderr, JSON.stringify(c.vectors)).toBe("");
            expect(result.code).toBe(0);
            expect(result.stdout).toBe(c.expected);
        }

        // npx installed the package under its cache; its install script found the prebuild and compiled nothing
        const npxRoot = path.join(home, ".npm", "_npx");
        const installed = readdirSync(npxRoot).map((d) => path.join(npxRoot, d, "node_modules", "steer-chat")).find((d) => existsSync(d))!;
        expect(existsSync(path.join(installed, "prebuilds", `${process.platform}-${process.arch}`))).toBe(true);
        expect(existsSync(path.join(installed, "build"))).toBe(false);
        mkdirSync(path.join(project, "check"));
        const status = await runProcess("node", ["--input-type=module", "-e",
            `const {loadNativeSteering} = await import(${JSON.stringify(path.join(installed, "dist", "native", "steeringBridge.js"))});` +
            "const s = loadNativeSteering(); console.log(s.available ? 'available' : s.reason);"], {cwd: path.join(project, "check"), env});
        expect(status.stdout.trim()).toBe("available");
    }, 1_800_000); // packs, then installs from the registry into an empty cache: minutes, more on a busy machine
});
