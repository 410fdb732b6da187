/**
 * Run as a child process (`node --import tsx nativeChild.ts SCENARIO MODEL`) so that a crash in the native helper
 * ends only this process: each scenario prints one JSON line with what happened.
 */
import {readFileSync} from "node:fs";
import {createRequire} from "node:module";
import os from "node:os";
import path from "node:path";
import {loadModel} from "../../src/engine/runtime.js";
import {packageRoot} from "../../src/config/paths.js";
import {loadNativeSteering} from "../../src/native/steeringBridge.js";

type Raw = {
    createCaptureContext(addon: object, nCtx: number, maxTokens: number, threads: number): object,
    capture(handle: object, tokens: unknown, allRows: boolean, cvec?: unknown, ilStart?: number, ilEnd?: number): Promise<Float32Array[]>,
    freeCaptureContext(handle: object): void
};

const [scenario, modelFile] = process.argv.slice(2);
const threadCount = () => Number(/^Threads:\s+(\d+)/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1]);
const report = (result: object) => process.stdout.write(`${JSON.stringify(result)}\n`);
const errorOf = async (work: () => unknown) => {
    try {
        await work();
        return undefined;
    } catch (err) {
        return `${(err as Error).name}: ${(err as Error).message}`;
    }
};

const loaded = await loadModel(modelFile!, {gpu: false, contextSize: 256});
const status = loadNativeSteering();
if (!status.available) throw new Error(status.reason);
const raw = createRequire(import.meta.url)(path.join(packageRoot(), "build", "Release", "steer_native.node")) as Raw;
const addon = (loaded.context as unknown as {_ctx: object})._ctx;
const tokens = Int32Array.from(loaded.model.tokenize("the cat sat on the mat"));

if (scenario === "typed-arrays") {
    const handle = raw.createCaptureContext(addon, loaded.context.contextSize, 64, 1);
    report({
        uint8Cvec: await errorOf(() => raw.capture(handle, tokens, false, new Uint8Array(16 * 1024 * 1024), 1, 2)),
        float64Cvec: await errorOf(() => raw.capture(handle, tokens, false, new Float64Array(64), 1, 2)),
        uint8Tokens: await errorOf(() => raw.capture(handle, new Uint8Array(16 * 1024 * 1024), false)),
        cvecWithoutRange: await errorOf(() => raw.capture(handle, tokens, false, new Float32Array(64))),
        cvecBadRange: await errorOf(() => raw.capture(handle, tokens, false, new Float32Array(loaded.model.embeddingVectorSize), 0, 99)),
        // and a well-formed call still works afterwards
        ok: (await raw.capture(handle, tokens, false)).length
    });
    raw.freeCaptureContext(handle);
} else if (scenario === "threads") {
    const before = threadCount();
    const handle = raw.createCaptureContext(addon, loaded.context.contextSize, 64, 100_000);
    await raw.capture(handle, tokens, true);
    report({before, after: threadCount(), cpus: os.cpus().length});
    raw.freeCaptureContext(handle);
} else if (scenario === "dispose-during-capture") {
    const capture = status.native.createCapture(loaded.context, 1024, 2);
    const long = Array.from({length: 1000}, (_, i) => tokens[i % tokens.length]!);
    const running = capture.capture(long, {allRows: true}).then((layers) => `captured ${layers.length} layers`, (err: Error) => `rejected: ${err.message}`);
    // the evaluation is queued on a worker thread; dispose the model at once, while it runs
    await loaded.dispose();
    report({capture: await running, afterDispose: await errorOf(() => capture.capture([...tokens]))});
    process.exit(0);
}
await loaded.dispose();
