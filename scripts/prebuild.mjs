#!/usr/bin/env node
// `prepack`: builds the native helper with prebuildify (one Node-API build serves every Node ≥ 20) into
// prebuilds/<platform>-<arch>/, which the published package carries and node-gyp-build loads at run time, so a user
// on that platform installs without git, python, make or a compiler. It builds for this machine and, on Linux x64
// with Debian's g++-aarch64-linux-gnu installed, cross-compiles linux-arm64 too (built, not run here). Each build
// runs in a staging folder: neither build/ nor the prebuilds already there are touched unless it succeeds.
import {spawnSync} from "node:child_process";
import {mkdirSync, readdirSync, rmSync} from "node:fs";
import {createRequire} from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const lib = require("./native-build-lib.cjs");
const onPath = (tool) => spawnSync("sh", ["-c", `command -v ${tool}`], {stdio: "ignore"}).status === 0;

/** this machine, and the cross builds its toolchains allow: [arch, extra prebuildify args, extra env] */
function targets() {
    const list = [{arch: process.arch, args: [], env: {}}];
    const cross = "aarch64-linux-gnu";
    if (process.platform === "linux" && process.arch === "x64") {
        if (onPath(`${cross}-g++`)) {
            list.push({arch: "arm64", args: ["--arch", "arm64", "--strip-bin", `${cross}-strip`],
                env: {CC: `${cross}-gcc`, CXX: `${cross}-g++`, LINK: `${cross}-g++`}});
        } else {
            console.warn("steer-chat: no linux-arm64 prebuild (install Debian's g++-aarch64-linux-gnu to cross-compile one)");
        }
    }
    return list;
}

function prebuild({arch, args, env}) {
    const stage = lib.stageSources();
    try {
        const prebuildify = require.resolve("prebuildify/bin.js");
        const result = spawnSync(process.execPath, [prebuildify, "--napi", "--strip", "--tag-libc", "--target", process.versions.node,
            "--cwd", stage, "--node-gyp", lib.nodeGyp(), ...args], {stdio: "inherit", env: {...lib.buildEnv(), ...env}});
        if (result.status !== 0) throw new Error(`prebuildify failed for ${process.platform}-${arch}: the package would ship without that prebuilt helper`);
        const platformDir = `${process.platform}-${arch}`;
        const target = path.join(lib.root, "prebuilds", platformDir);
        rmSync(target, {recursive: true, force: true});
        mkdirSync(target, {recursive: true});
        for (const file of readdirSync(path.join(stage, "prebuilds", platformDir)))
            lib.installFile(path.join(stage, "prebuilds", platformDir, file), path.join(target, file));
        console.log(`steer-chat: prebuilt helper in prebuilds/${platformDir}: ${readdirSync(target).join(", ")}`);
        return platformDir;
    } finally {
        rmSync(stage, {recursive: true, force: true});
    }
}

lib.ensureLlamaHeaders(lib.nodeLlamaCppDir());
const built = targets().map(prebuild);
// a prebuild left from an earlier pack was made from other sources: never ship it
for (const dir of readdirSync(path.join(lib.root, "prebuilds")))
    if (!built.includes(dir)) rmSync(path.join(lib.root, "prebuilds", dir), {recursive: true, force: true});
