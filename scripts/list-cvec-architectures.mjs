#!/usr/bin/env node
// Lists the GGUF architecture names whose llama.cpp graph adds the control vector (calls build_cvec), read
// from the llama.cpp source node-llama-cpp bundles. src/steering/cvecArchitectures.ts is this list, and a test
// checks the two agree. After a node-llama-cpp upgrade: node scripts/list-cvec-architectures.mjs
//
// The chain, as llama.cpp wires it: general.architecture "qwen2" -> LLM_ARCH_QWEN2 (llama-arch.cpp's name
// table) -> `new llama_model_qwen2` (llama_model_mapping in llama-model.cpp) -> the class whose graph that model
// builds (its own, a `using graph = llama_model_Y::graph`, or its parent's; models/models.h) -> the models/*.cpp
// defining that graph. File names alone are not enough: "gpt-oss" is built by openai-moe.cpp.
import fs from "node:fs";
import path from "node:path";
import {createRequire} from "node:module";
import {pathToFileURL} from "node:url";

/** Default location: the llama.cpp checkout inside the installed node-llama-cpp (present after `npm install`). */
export function bundledLlamaSourceDir() {
    // node-llama-cpp's "exports" hides package.json, so walk the usual node_modules lookup paths
    const require = createRequire(import.meta.url);
    const pkgDir = require.resolve.paths("node-llama-cpp").map((dir) => path.join(dir, "node-llama-cpp"))
        .find((dir) => fs.existsSync(path.join(dir, "package.json")));
    if (pkgDir == null) throw new Error("node-llama-cpp is not installed");
    return path.join(pkgDir, "llama", "llama.cpp", "src");
}

/** @returns {string[]} sorted architecture names, or throws when the source is not laid out as expected */
export function listCvecArchitectures(srcDir = bundledLlamaSourceDir()) {
    const read = (file) => fs.readFileSync(path.join(srcDir, file), "utf8");

    const archNames = new Map(); // LLM_ARCH_QWEN2 -> "qwen2"
    for (const m of read("llama-arch.cpp").matchAll(/\{\s*(LLM_ARCH_[A-Z0-9_]+)\s*,\s*"([^"]+)"\s*\}/g))
        archNames.set(m[1], m[2]);

    const archClass = new Map(); // LLM_ARCH_QWEN2 -> "llama_model_qwen2"
    const mapping = read("llama-model.cpp").match(/llama_model_mapping\s*\([^)]*\)\s*\{([\s\S]*?)\n\}/);
    if (mapping == null) throw new Error(`no llama_model_mapping in ${srcDir}/llama-model.cpp`);
    for (const m of mapping[1].matchAll(/case\s+(LLM_ARCH_[A-Z0-9_]+)\s*:\s*return\s+new\s+(llama_model_\w+)\s*\(/g))
        archClass.set(m[1], m[2]);

    // Which class's graph each class builds.
    const header = read(path.join("models", "models.h"));
    const graphOwner = new Map();
    for (const m of header.matchAll(/struct\s+(llama_model_\w+)\s*:\s*public\s+(llama_model_\w+)\s*\{([\s\S]*?)\n\};/g)) {
        const [, cls, parent, body] = m;
        const using = body.match(/using\s+graph\s*=\s*(llama_model_\w+)::graph/);
        if (using != null) graphOwner.set(cls, using[1]);
        else if (/struct\s+graph\b/.test(body) || parent === "llama_model_base") graphOwner.set(cls, cls);
        else graphOwner.set(cls, parent);
    }
    const ownerOf = (cls) => {
        for (let i = 0; i < 8; i++) {
            const next = graphOwner.get(cls);
            if (next == null || next === cls) return cls;
            cls = next;
        }
        return cls;
    };

    // Which classes' graph code calls build_cvec.
    const steeringClasses = new Set();
    const modelsDir = path.join(srcDir, "models");
    for (const file of fs.readdirSync(modelsDir).filter((f) => f.endsWith(".cpp"))) {
        // comments do not count: a build_cvec mentioned in one is not a call
        const text = fs.readFileSync(path.join(modelsDir, file), "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
        // one graph per file (its constructor and helper methods), so a build_cvec anywhere in it counts
        if (!/\bbuild_cvec\s*\(/.test(text)) continue;
        for (const m of text.matchAll(/(llama_model_\w+)::graph(?:<[^>]*>)?::graph\s*\(/g)) steeringClasses.add(m[1]);
    }
    if (archNames.size < 50 || archClass.size < 50 || steeringClasses.size < 20)
        throw new Error(`llama.cpp source in ${srcDir} is not laid out as this script expects ` +
            `(${archNames.size} names, ${archClass.size} mapped classes, ${steeringClasses.size} steering graphs)`);

    const result = [];
    for (const [arch, cls] of archClass) {
        const name = archNames.get(arch);
        if (name != null && steeringClasses.has(ownerOf(cls))) result.push(name);
    }
    return result.sort();
}

if (process.argv[1] != null && import.meta.url === pathToFileURL(fs.realpathSync(process.argv[1])).href) {
    const names = listCvecArchitectures(process.argv[2]);
    console.log(JSON.stringify(names));
    console.error(`${names.length} architectures add the control vector`);
}
