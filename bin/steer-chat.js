#!/usr/bin/env node
// The npx entry: runs the compiled CLI (npm install builds dist/ through the "prepare" script).
import {existsSync} from "node:fs";

const entry = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(entry)) {
    process.stderr.write("steer-chat: dist/ is missing — run `npm install` (or `npm run build`) in the steer-chat folder first\n");
    process.exit(1);
}
// Terminal settings that must be in place before any module reads them (chalk and is-in-ci decide at import):
// - Ink draws only the final frame when it thinks it runs in CI (CI set): a person at a real terminal would see a
//   blank chat, and an interactive terminal is interactive. The variables are removed, not set to "0": chalk's
//   colour check only asks whether CI exists, and would then turn colour (and the prompt's inverse-video cursor) off;
// - no-color.org: chalk only listens to FORCE_COLOR, so NO_COLOR is translated for it.
if (process.stdin.isTTY && process.stdout.isTTY) {
    delete process.env.CI;
    delete process.env.CONTINUOUS_INTEGRATION;
}
if (process.env.NO_COLOR) process.env.FORCE_COLOR = "0";

const {main} = await import(entry.href);
const code = await main(process.argv.slice(2));
// node-llama-cpp keeps native handles that would hold the process open; the work is done, so leave now
process.exit(code);
