/**
 * The native helper's install step on a copy of the package: it finds a hoisted node-llama-cpp as Node would, skips
 * the build when a current helper is there, and a rebuild that fails keeps the helper that worked.
 */
import {execFileSync, spawnSync} from "node:child_process";
import {cpSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync} from "node:fs";
import {createRequire} from "node:module";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {repoRoot, tempDir} from "../helpers/tinyModel.js";

const require = createRequire(import.meta.url);
/** the helper this checkout uses (a local build, or the prebuild `npm pack` made) */
const currentHelper = (require("node-gyp-build") as {resolve(dir: string): string}).resolve(repoRoot);

/**
 * A project with steer-chat installed the way npm lays it out: steer-chat's own files in node_modules/steer-chat,
 * and its dependencies hoisted beside it (links to this checkout's), with the helper already built.
 */
function installedCopy(): {project: string, pkg: string, helper: string} {
    const project = tempDir("steer-hoisted-");
    const modules = path.join(project, "node_modules");
    const pkg = path.join(modules, "steer-chat");
    mkdirSync(pkg, {recursive: true});
    for (const part of ["scripts", "native", "binding.gyp", "package.json"]) cpSync(path.join(repoRoot, part), path.join(pkg, part), {recursive: true});
    for (const dep of ["node-llama-cpp", "node-addon-api", "node-gyp-build"]) symlinkSync(path.join(repoRoot, "node_modules", dep), path.join(modules, dep));
    const helper = path.join(pkg, "build", "Release", "steer_native.node");
    mkdirSync(path.dirname(helper), {recursive: true});
    cpSync(currentHelper, helper);
    return {project, pkg, helper};
}

/** a PATH with node and a shell but no python, make or compiler: any compile fails */
function pathWithoutCompilers(): string {
    const bin = tempDir("steer-nocc-");
    for (const tool of ["node", "sh"]) symlinkSync(realpathSync(execFileSync("sh", ["-c", `command -v ${tool}`], {encoding: "utf8"}).trim()), path.join(bin, tool));
    return bin;
}

const runInstallStep = (pkg: string, args: string[] = []) => spawnSync(process.execPath, [path.join(pkg, "scripts", "build-native.mjs"), ...args],
    {cwd: pkg, encoding: "utf8", env: {HOME: tempDir("steer-home-"), PATH: pathWithoutCompilers()}});

describe("the native helper's run-time check", () => {
    it("refuses a helper built for another node-llama-cpp with one line saying both versions and the fix", () => {
        const {project, pkg} = installedCopy();
        cpSync(path.join(repoRoot, "dist"), path.join(pkg, "dist"), {recursive: true});
        // the same helper, next to a node-llama-cpp of another version (its AddonContext layout may differ)
        const other = path.join(project, "node_modules", "node-llama-cpp");
        rmSync(other);
        mkdirSync(other);
        writeFileSync(path.join(other, "package.json"), JSON.stringify({name: "node-llama-cpp", version: "3.99.0"}));
        const script = `const {loadNativeSteering} = await import(${JSON.stringify(path.join(pkg, "dist", "native", "steeringBridge.js"))});` +
            "const s = loadNativeSteering(); console.log(s.available ? 'available' : `${s.reason} — ${s.fix}`);";
        const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {cwd: project, encoding: "utf8"}).trim();
        expect(out.split("\n")).toHaveLength(1);
        expect(out).toMatch(/^the native steering helper build\/Release\/steer_native\.node was built for node-llama-cpp 3\.22\.1 but 3\.99\.0 is installed — reinstall steer-chat/);
    });
});

describe("the native helper's install step", () => {
    it("finds node-llama-cpp hoisted beside the package, as Node resolves it", () => {
        const {project, pkg} = installedCopy();
        // printed as JSON strings separated by spaces, for binding.gyp
        const printed = execFileSync(process.execPath, [path.join(pkg, "scripts", "native-include-dirs.cjs")], {encoding: "utf8"});
        const dirs = JSON.parse(`[${printed.replaceAll('" "', '","')}]`) as string[];
        expect(dirs).toContain(path.join(project, "node_modules", "node-llama-cpp", "llama", "llama.cpp", "include"));
        expect(existsSync(path.join(pkg, "node_modules"))).toBe(false); // nothing nested to fall back on
    });

    it("skips the build when the helper in place is current: nothing compiled, no compiler needed", () => {
        const {pkg, helper} = installedCopy();
        const before = readFileSync(helper);
        const result = runInstallStep(pkg);
        expect(result.status, result.stderr).toBe(0);
        expect(result.stdout).toContain("native steering helper in place (build/Release/steer_native.node), nothing to build");
        expect(readFileSync(helper).equals(before)).toBe(true);
    });

    it("a rebuild that fails keeps the working helper and records no build error", () => {
        const {pkg, helper} = installedCopy();
        const before = readFileSync(helper);
        const result = runInstallStep(pkg, ["--force"]); // no python/make/c++ on PATH: node-gyp fails
        expect(result.status, result.stderr).toBe(0);
        expect(result.stderr).toMatch(/rebuilding the native steering helper failed \(.*\); the one in build\/ is kept/);
        expect(readFileSync(helper).equals(before)).toBe(true);
        expect(existsSync(path.join(pkg, "build", "native-build-error.txt"))).toBe(false);
    });

    it("with no helper at all, a failed build records why, for steering to say, and the install still succeeds", () => {
        const {pkg, helper} = installedCopy();
        rmSync(helper);
        const result = runInstallStep(pkg);
        expect(result.status, result.stderr).toBe(0);
        expect(readFileSync(path.join(pkg, "build", "native-build-error.txt"), "utf8")).toMatch(/node-gyp/);
        expect(existsSync(helper)).toBe(false);
    });
});
