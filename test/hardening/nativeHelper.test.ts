/**
 * The native helper reached straight from JS: capture() refuses typed arrays it would read past the end of (a
 * 16 MiB Uint8Array as the control vector made it read 64 MiB and segfault), createCaptureContext clamps an absurd
 * thread count (100000 started thousands of threads), and disposing the model while a capture evaluates on its
 * worker thread waits for it instead of freeing the weights under it (SIGSEGV 4 runs in 5; 3 in 3 here before the fix).
 * Each scenario runs in a child process (test/helpers/nativeChild.ts), so a crash fails the test instead of killing vitest.
 */
import {spawnSync} from "node:child_process";
import {writeFileSync} from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {buildSyntheticLlama} from "../../tooling/syntheticLlama.js";
import {repoRoot, tempDir} from "../helpers/tinyModel.js";

const model = path.join(tempDir("steer-native-"), "wide.gguf");
// wide and long enough that a 1000-token capture is still evaluating when the model is disposed
writeFileSync(model, buildSyntheticLlama({nEmbd: 256, nHead: 8, nLayer: 6, contextLength: 2048, seed: 2}));

function scenario(name: string): Record<string, unknown> {
    const child = spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot, "test", "helpers", "nativeChild.ts"), name, model],
        {cwd: repoRoot, encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL"});
    expect(child.signal, `${name} crashed: ${child.stderr.slice(-500)}`).toBeNull();
    expect(child.status, child.stderr).toBe(0);
    return JSON.parse(child.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
}

describe.skipIf(process.platform === "win32")("the native helper's capture functions", () => {
    it("capture() takes only an Int32Array of tokens and a Float32Array control vector with a layer range", () => {
        const result = scenario("typed-arrays");
        expect(result.uint8Cvec).toBe("TypeError: the control vector must be a Float32Array");
        expect(result.float64Cvec).toBe("TypeError: the control vector must be a Float32Array");
        expect(result.uint8Tokens).toBe("TypeError: tokens must be an Int32Array");
        expect(result.cvecWithoutRange).toMatch(/needs ilStart and ilEnd/);
        expect(result.cvecBadRange).toMatch(/layer range 0-99 is outside the model's layers 1-6/);
        expect(result.ok).toBe(6);
    });

    it("createCaptureContext with threads = 100000 starts no more threads than there are CPUs", () => {
        const {before, after, cpus} = scenario("threads") as {before: number, after: number, cpus: number};
        expect(after - before).toBeLessThanOrEqual(cpus);
    });

    for (const run of [1, 2, 3]) {
        it(`disposing the model while a capture evaluates waits for it (run ${run} of 3)`, () => {
            const result = scenario("dispose-during-capture");
            expect(result.capture).toMatch(/^(captured 6 layers|rejected: .+)$/);
            expect(result.afterDispose).toMatch(/disposed/);
        });
    }
});
