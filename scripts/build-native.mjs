#!/usr/bin/env node
// Makes sure a native steering helper that matches this install is in place, at `npm install` and by
// `npm run build:native`.
// - A matching prebuild (prebuilds/<platform>-<arch>/, shipped in the package) or an up-to-date build/ is used as it
//   is: nothing is compiled, and no git, python, make or compiler is needed.
// - Otherwise the helper is compiled in a staging folder against the headers of the exact llama.cpp release that
//   node-llama-cpp ships (unpacked offline from its git bundle), and moved into build/Release only when the build
//   succeeded: a failed rebuild never removes a helper that works.
// A failed build never fails the install (unless --strict): the chat works without the helper, and steering then says
// why it is unavailable and how to fix it.
import {spawnSync} from "node:child_process";
import {existsSync, mkdirSync, rmSync, writeFileSync} from "node:fs";
import {createRequire} from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const lib = require("./native-build-lib.cjs");
const nodeGypBuild = require("node-gyp-build");

const strict = process.argv.includes("--strict");
const force = process.argv.includes("--force");
const buildDir = path.join(lib.root, "build");
const errorFile = path.join(buildDir, "native-build-error.txt");
const builtHelper = path.join(buildDir, "Release", "steer_native.node");

/** the helper node-gyp-build would load (build/Release first, then a prebuild for this platform), if it is current */
function currentHelper() {
    let file;
    try {
        file = nodeGypBuild.resolve(lib.root);
    } catch {
        return undefined; // neither a build nor a prebuild for this platform
    }
    // a prebuild is made from the sources packed beside it, so in a package both match; in a clone whose native/
    // changed since, neither a build nor a prebuild is current
    const stamp = lib.helperStamp(file);
    const current = stamp.error == null && stamp.nodeLlamaCpp === lib.nodeLlamaCppVersion() && stamp.source === lib.sourceFingerprint();
    return current ? file : undefined;
}

function compile() {
    lib.ensureLlamaHeaders(lib.nodeLlamaCppDir());
    const stage = lib.stageSources();
    try {
        const gyp = lib.nodeGyp();
        const [cmd, args] = gyp.endsWith(".js") ? [process.execPath, [gyp, "rebuild"]] : [gyp, ["rebuild"]];
        const result = spawnSync(cmd, args, {cwd: stage, stdio: "inherit", env: lib.buildEnv()});
        if (result.error != null) throw new Error(`could not run node-gyp (${result.error.message})`);
        if (result.status !== 0) throw new Error("node-gyp rebuild failed (needs python3, make and a C++ compiler)");
        lib.installFile(path.join(stage, "build", "Release", "steer_native.node"), builtHelper);
    } finally {
        rmSync(stage, {recursive: true, force: true});
    }
}

const existing = force ? undefined : currentHelper();
if (existing != null) {
    console.log(`steer-chat: native steering helper in place (${path.relative(lib.root, existing)}), nothing to build`);
    process.exit(0);
}
try {
    compile();
    rmSync(errorFile, {force: true});
    console.log("steer-chat: native steering helper built");
} catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const kept = existsSync(builtHelper) && lib.helperStamp(builtHelper).error == null;
    if (kept) {
        console.warn(`steer-chat: rebuilding the native steering helper failed (${message}); the one in build/ is kept`);
    } else {
        mkdirSync(buildDir, {recursive: true});
        writeFileSync(errorFile, message + "\n");
        console.warn(`steer-chat: the native steering helper was not built: ${message}`);
        console.warn("steer-chat: chat works without it; to steer, fix the above and run `npm run build:native`");
    }
    process.exit(strict ? 1 : 0);
}
