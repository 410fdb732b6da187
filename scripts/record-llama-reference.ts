#!/usr/bin/env -S npx tsx
// Records test/fixtures/llama-interop.json: what llama.cpp's own llama-completion (built from the source
// node-llama-cpp bundles, see scripts/build-llama-tools.sh) prints for the control-vector files the interop test
// (test/hardening/interop.test.ts) gives steer-chat. The test compares steer-chat against this record and never runs
// llama-completion itself: llama.cpp logs from a worker thread and, on a busy machine, the end of its output (the
// text on stdout too) is now and then lost at exit (1 run in 15 under two other busy processes), so here each run is
// repeated until its output is complete (it ends in the "\n\n" printed last), and the runs must agree.
//   npx tsx scripts/record-llama-reference.ts           writes the fixture
//   npx tsx scripts/record-llama-reference.ts --check   says whether the fixture is still what llama.cpp prints (exit 1 if not)
// LLAMA_TOOLS_BIN names another build's bin folder.
import {execFileSync, spawnSync} from "node:child_process";
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {completionArgs, INTEROP_RUNS, type InteropFixture, writeInteropVectors} from "../test/helpers/interopVectors.js";

const root = path.resolve(import.meta.dirname, "..");
const bin = path.join(process.env.LLAMA_TOOLS_BIN ?? path.join(root, ".cache", "llama-tools", "bin"), "llama-completion");
if (!existsSync(bin)) throw new Error(`${bin} is missing: run scripts/build-llama-tools.sh first (or set LLAMA_TOOLS_BIN)`);
const fixtureFile = path.join(root, "test", "fixtures", "llama-interop.json");
const model = "models/stories260K.gguf";
const check = process.argv.includes("--check");

function complete(args: string[]): string {
    let longest = "";
    for (let attempt = 0; attempt < 60; attempt++) {
        const out = execFileSync(bin, args, {cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"]});
        if (!(longest.startsWith(out) || out.startsWith(longest))) throw new Error(`llama-completion disagrees with itself for ${args.join(" ")}`);
        if (out.length > longest.length) longest = out;
        if (longest.endsWith("\n\n")) return longest.slice(0, -2).replace(/ \[end of text\]\n$/, "");
    }
    throw new Error(`llama-completion never printed a whole output for ${args.join(" ")}`);
}

const version = spawnSync(bin, ["--version"], {encoding: "utf8"});
const bundled = JSON.parse(readFileSync(path.join(root, "node_modules", "node-llama-cpp", "llama", "llama.cpp.info.json"), "utf8")) as {tag: string};
const dir = mkdtempSync(path.join(os.tmpdir(), "steer-llama-reference-"));
try {
    const files = await writeInteropVectors(dir, "test/fixtures/vectors/happy.gguf");
    const fixture: InteropFixture = {
        generatedBy: "scripts/record-llama-reference.ts (vector files from test/helpers/interopVectors.ts; $VECTORS is the folder they were written to)",
        llamaCpp: {version: `${version.stdout}${version.stderr}`.split("\n").find((l) => l.startsWith("version:")) ?? "unknown",
            bundledRelease: bundled.tag},
        model: "stories260K.gguf",
        runs: INTEROP_RUNS.map(({name, args}) => {
            const command = [...completionArgs(model), ...args(files)];
            return {name, command: ["llama-completion", ...command.map((a) => a.replaceAll(dir, "$VECTORS"))], text: complete(command)};
        })
    };
    if (check) {
        const recorded = JSON.parse(readFileSync(fixtureFile, "utf8")) as InteropFixture;
        const stale = fixture.runs.filter((run) => JSON.stringify(run) !== JSON.stringify(recorded.runs.find((r) => r.name === run.name)));
        for (const run of stale) console.error(`${run.name}: llama-completion now prints ${JSON.stringify(run.text)}`);
        if (stale.length > 0 || recorded.runs.length !== fixture.runs.length) process.exit(1);
        console.log(`${fixtureFile} is current (${fixture.llamaCpp.version})`);
    } else {
        writeFileSync(fixtureFile, JSON.stringify(fixture, null, 2) + "\n");
        console.log(fixture.runs);
    }
} finally {
    rmSync(dir, {recursive: true, force: true});
}
