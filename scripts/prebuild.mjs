#!/usr/bin/env node
// `prepack`: builds the native helper for this platform with prebuildify (one Node-API build serves every Node ≥ 20)
// into prebuilds/<platform>-<arch>/, which the published package carries and node-gyp-build loads at run time, so a
// user on this platform installs without git, python, make or a compiler. The build runs in a staging folder:
// neither build/ nor the prebuilds already there are touched unless it succeeds.
import {spawnSync} from "node:child_process";
import {mkdirSync, readdirSync, rmSync} from "node:fs";
import {createRequire} from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const lib = require("./native-build-lib.cjs");

lib.ensureLlamaHeaders(lib.nodeLlamaCppDir());
const stage = lib.stageSources();
try {
    const prebuildify = require.resolve("prebuildify/bin.js");
    const args = [prebuildify, "--napi", "--strip", "--tag-libc", "--target", process.versions.node, "--cwd", stage,
        "--node-gyp", lib.nodeGyp()];
    const result = spawnSync(process.execPath, args, {stdio: "inherit", env: lib.buildEnv()});
    if (result.status !== 0) throw new Error("prebuildify failed: the package would ship without a prebuilt helper");
    const platformDir = readdirSync(path.join(stage, "prebuilds"))[0];
    const target = path.join(lib.root, "prebuilds", platformDir);
    rmSync(target, {recursive: true, force: true});
    mkdirSync(target, {recursive: true});
    for (const file of readdirSync(path.join(stage, "prebuilds", platformDir)))
        lib.installFile(path.join(stage, "prebuilds", platformDir, file), path.join(target, file));
    console.log(`steer-chat: prebuilt helper in prebuilds/${platformDir}: ${readdirSync(target).join(", ")}`);
} finally {
    rmSync(stage, {recursive: true, force: true});
}
