// Prints the include folders binding.gyp needs: node-addon-api, node-llama-cpp's addon headers and the headers of
// the exact llama.cpp release node-llama-cpp ships (its bundled source, unpacked by `source download --skipBuild`).
const path = require("node:path");
const fs = require("node:fs");
// node-llama-cpp's "exports" hides package.json, so look for its folder along the usual node_modules lookup paths
const nlc = require.resolve.paths("node-llama-cpp").map((dir) => path.join(dir, "node-llama-cpp"))
    .find((dir) => fs.existsSync(path.join(dir, "package.json")));
if (nlc == null) throw new Error("node-llama-cpp is not installed");
const dirs = [
    require("node-addon-api").include.replace(/^"|"$/g, ""),
    path.join(nlc, "llama", "addon"),
    path.join(nlc, "llama", "llama.cpp", "include"),
    path.join(nlc, "llama", "llama.cpp", "ggml", "include")
];
process.stdout.write(dirs.map((d) => JSON.stringify(d)).join(" "));
