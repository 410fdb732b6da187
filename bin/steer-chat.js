#!/usr/bin/env node
// The npx entry: runs the compiled CLI (npm install builds dist/ through the "prepare" script).
import {existsSync} from "node:fs";

const entry = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(entry)) {
    process.stderr.write("steer-chat: dist/ is missing — run `npm install` (or `npm run build`) in the steer-chat folder first\n");
    process.exit(1);
}
const {main} = await import(entry.href);
const code = await main(process.argv.slice(2));
// node-llama-cpp keeps native handles that would hold the process open; the work is done, so leave now
process.exit(code);
