#!/usr/bin/env node
// Builds the native steering helper at `npm install`. It needs the headers of the exact llama.cpp release that
// node-llama-cpp ships, which `node-llama-cpp source download --skipBuild` unpacks offline from the git bundle
// inside the package. A failed build never fails the install: the chat works without it, and steering then says
// why it is unavailable and how to fix it.
import {spawnSync} from "node:child_process";
import {existsSync, mkdirSync, writeFileSync} from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const strict = process.argv.includes("--strict");
const run = (cmd, args) => spawnSync(cmd, args, {cwd: root, stdio: "inherit", env: process.env});

function fail(message) {
    mkdirSync(path.join(root, "build"), {recursive: true});
    writeFileSync(path.join(root, "build", "native-build-error.txt"), message + "\n");
    console.warn(`steer-chat: the native steering helper was not built: ${message}`);
    console.warn("steer-chat: chat works without it; to steer, fix the above and run `npm run build:native`");
    process.exit(strict ? 1 : 0);
}

const nlcDir = path.join(root, "node_modules", "node-llama-cpp");
const headers = path.join(nlcDir, "llama", "llama.cpp", "include", "llama.h");
if (!existsSync(headers)) {
    const cli = path.join(nlcDir, "dist", "cli", "cli.js");
    const result = run(process.execPath, [cli, "source", "download", "--skipBuild"]);
    if (result.status !== 0 || !existsSync(headers)) fail("could not unpack llama.cpp's source from node-llama-cpp (is git installed?)");
}
// npm gives install scripts the path of its bundled node-gyp; outside npm, look for one on PATH
const gyp = process.env.npm_config_node_gyp;
const result = gyp ? run(process.execPath, [gyp, "rebuild"]) : run("node-gyp", ["rebuild"]);
if (result.status !== 0) fail("node-gyp rebuild failed");
console.log("steer-chat: native steering helper built");
