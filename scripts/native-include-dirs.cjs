// Prints the include folders binding.gyp needs: node-addon-api, node-llama-cpp's addon headers and the headers of
// the exact llama.cpp release node-llama-cpp ships (its bundled source, unpacked by `source download --skipBuild`).
// Packages are resolved as Node resolves them from the steer-chat package (STEER_NATIVE_RESOLVE_FROM when the
// build runs in a staging copy), so a hoisted node-llama-cpp is found as well as a nested one.
const path = require("node:path");
const {createRequire} = require("node:module");
const {nodeLlamaCppDir} = require("./native-build-lib.cjs");

const from = process.env.STEER_NATIVE_RESOLVE_FROM ?? path.resolve(__dirname, "..");
const nlc = nodeLlamaCppDir(from);
const dirs = [
    createRequire(path.join(from, "package.json"))("node-addon-api").include.replace(/^"|"$/g, ""),
    path.join(nlc, "llama", "addon"),
    path.join(nlc, "llama", "llama.cpp", "include"),
    path.join(nlc, "llama", "llama.cpp", "ggml", "include")
];
process.stdout.write(dirs.map((d) => JSON.stringify(d)).join(" "));
