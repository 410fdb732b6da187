// What the native helper's build scripts share: finding node-llama-cpp the way Node does (nested or hoisted),
// the llama.cpp headers it bundles, a fingerprint of the helper's sources, and a staging folder so that a build
// never touches the helper already in place.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const {spawnSync} = require("node:child_process");
const {createRequire} = require("node:module");

const root = path.resolve(__dirname, "..");
/** the files a helper is compiled from: a build is current when its fingerprint matches these */
const SOURCES = ["binding.gyp", "scripts/native-include-dirs.cjs", "scripts/native-build-lib.cjs", "scripts/native-defines.cjs", ...fs.readdirSync(path.join(root, "native")).sort().map((f) => `native/${f}`)];

/**
 * node-llama-cpp's package folder as Node would resolve it from `fromDir` (its "exports" hide package.json, so
 * walk the lookup paths Node itself would try: node_modules beside us, then every parent's, hoisted installs included).
 */
function nodeLlamaCppDir(fromDir = root) {
    const dirs = createRequire(path.join(fromDir, "package.json")).resolve.paths("node-llama-cpp") ?? [];
    const dir = dirs.map((d) => path.join(d, "node-llama-cpp")).find((d) => fs.existsSync(path.join(d, "package.json")));
    if (dir == null) throw new Error(`node-llama-cpp is not installed where Node looks for it from ${fromDir}`);
    return dir;
}

function nodeLlamaCppVersion(fromDir = root) {
    return JSON.parse(fs.readFileSync(path.join(nodeLlamaCppDir(fromDir), "package.json"), "utf8")).version;
}

/** unpacks llama.cpp's headers from node-llama-cpp's git bundle (offline) when they are not there yet */
function ensureLlamaHeaders(nlcDir) {
    const header = path.join(nlcDir, "llama", "llama.cpp", "include", "llama.h");
    if (fs.existsSync(header)) return;
    const cli = path.join(nlcDir, "dist", "cli", "cli.js");
    const result = spawnSync(process.execPath, [cli, "source", "download", "--skipBuild"], {cwd: root, stdio: "inherit"});
    if (result.status !== 0 || !fs.existsSync(header))
        throw new Error(`could not unpack llama.cpp's source from ${nlcDir} (the step needs git)`);
}

function sourceFingerprint() {
    const hash = crypto.createHash("sha256");
    for (const file of SOURCES) hash.update(file).update(fs.readFileSync(path.join(root, file)));
    return hash.digest("hex").slice(0, 16);
}

/**
 * A fresh folder holding only what node-gyp needs, so a build there can fail without harming `build/`. The
 * include-dirs script resolves packages from STEER_NATIVE_RESOLVE_FROM (our package root), not from the copy.
 */
function stageSources() {
    const stage = fs.mkdtempSync(path.join(os.tmpdir(), "steer-native-"));
    for (const file of SOURCES) {
        fs.mkdirSync(path.dirname(path.join(stage, file)), {recursive: true});
        fs.copyFileSync(path.join(root, file), path.join(stage, file));
    }
    fs.writeFileSync(path.join(stage, "package.json"), JSON.stringify({name: "steer_native", private: true}));
    return stage;
}

/** the environment a build runs with: where to resolve packages from, and the stamps compiled into the helper */
function buildEnv() {
    return {
        ...process.env,
        STEER_NATIVE_RESOLVE_FROM: root,
        STEER_NATIVE_NLC_VERSION: nodeLlamaCppVersion(),
        STEER_NATIVE_SOURCE: sourceFingerprint()
    };
}

/** what a built helper says it was built for, or why it cannot be loaded here */
function helperStamp(file) {
    try {
        const mod = require(file);
        return {nodeLlamaCpp: mod.builtFor?.nodeLlamaCpp, source: mod.builtFor?.source};
    } catch (err) {
        return {error: err.message};
    }
}

/**
 * node-gyp as npm would run it: npm hands install scripts the path of its bundled copy; outside npm, use the copy
 * bundled with the npm beside this Node, then one on PATH.
 */
function nodeGyp() {
    if (process.env.npm_config_node_gyp) return process.env.npm_config_node_gyp;
    const bundled = path.join(path.dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js");
    return fs.existsSync(bundled) ? bundled : "node-gyp";
}

/** moves a file into place atomically (same folder, then rename), so a reader never sees half a helper */
function installFile(from, to) {
    fs.mkdirSync(path.dirname(to), {recursive: true});
    const tmp = `${to}.tmp-${process.pid}`;
    fs.copyFileSync(from, tmp);
    fs.renameSync(tmp, to);
}

module.exports = {
    root, nodeLlamaCppDir, nodeLlamaCppVersion, ensureLlamaHeaders, sourceFingerprint, stageSources, buildEnv, helperStamp, installFile,
    nodeGyp
};
