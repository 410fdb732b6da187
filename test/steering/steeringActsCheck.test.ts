/**
 * The load check that steering acts: a small random push at one layer must move the next layer's hidden state. On
 * the demo model and a generated llama it does (no warning); a capture that ignores the control vector, as llama.cpp
 * does on an architecture it does not hook, gets the one-line warning.
 */
import {describe, expect, it} from "vitest";
import type {ControlVectorBuffer} from "../../src/native/loader.js";
import {loadModel} from "../../src/engine/runtime.js";
import {setupSteering} from "../../src/session/setupSteering.js";
import {checkLayer, checkSteeringActs, checkSteeringActsOnLoad, steeringActsNote, steeringIgnoredWarning} from "../../src/steering/steeringActsCheck.js";
import {tokenizePrompt} from "../../src/engine/generateTokens.js";
import {storiesModel, tempDir, writeSyntheticModel} from "../helpers/steeringTestKit.js";

process.env.STEER_CHAT_DATA_DIR = tempDir("steer-data-");

/** a fake model of `nLayer` blocks: l_out-N = the tokens' embedding through N blocks, plus the vector where hooked */
function fakeCapture(nEmbd: number, nLayer: number, hooked: boolean) {
    const calls: (ControlVectorBuffer | null | undefined)[] = [];
    return {
        calls,
        capture: async (tokens: readonly number[], {steering}: {steering?: ControlVectorBuffer | null} = {}) => {
            calls.push(steering);
            const layers: Float32Array[] = [];
            let h = Float32Array.from({length: tokens.length * nEmbd}, (_, i) => Math.sin(i + 1));
            for (let l = 0; l < nLayer; l++) {
                h = Float32Array.from(h, (x) => Math.tanh(x * 1.1 + 0.1));
                if (hooked && steering != null && l >= steering.layerStart && l <= steering.layerEnd)
                    for (let row = 0; row < tokens.length; row++)
                        for (let i = 0; i < nEmbd; i++) h[row * nEmbd + i]! += steering.data[(l - 1) * nEmbd + i]!;
                layers.push(h);
            }
            return layers;
        }
    };
}

describe("the check that steering acts", () => {
    it("pushes at a middle layer and reads the next one", () => {
        expect(checkLayer(2)).toBeUndefined();
        expect(checkLayer(3)).toBe(1);
        expect(checkLayer(6)).toBe(2);
        expect(checkLayer(32)).toBe(15);
    });

    it("a model that adds the vector passes; one that ignores it gets the warning", async () => {
        const shape = {nEmbd: 8, nLayer: 6};
        const hooked = await checkSteeringActs(fakeCapture(8, 6, true), shape, [1, 2, 3]);
        expect(hooked).toMatchObject({acts: true, layer: 2});
        expect(hooked!.moved).toBeGreaterThan(1e-3);
        const ignoring = fakeCapture(8, 6, false);
        const ignored = await checkSteeringActs(ignoring, shape, [1, 2, 3]);
        expect(ignored).toMatchObject({acts: false, layer: 2, moved: 0});
        // the push was asked for: a non-zero direction at the checked layer only
        const push = ignoring.calls[1]!;
        expect(push).toMatchObject({layerStart: 2, layerEnd: 2});
        expect(push.data.subarray(8, 16).some((x) => x !== 0)).toBe(true);
        expect([...push.data.subarray(0, 8), ...push.data.subarray(16)].every((x) => x === 0)).toBe(true);
        const warning = steeringIgnoredWarning("mystery", ignored!);
        expect(warning).toMatch(/^Warning: .*ignores control vectors .*"mystery"/);
        expect(warning).not.toContain("\n");
        expect(hooked!.evaluatedTokens).toBe(6); // three tokens, evaluated twice
        // too few layers to check: no verdict (the list's word stands)
        expect(await checkSteeringActs(fakeCapture(8, 2, false), {nEmbd: 8, nLayer: 2}, [1])).toBeUndefined();
    });

    it("acts on the demo model and a generated llama: no warning at set-up", async () => {
        for (const file of [storiesModel, writeSyntheticModel({nEmbd: 32, nLayer: 4, seed: 3})]) {
            const loaded = await loadModel(file, {gpu: false, contextSize: 256, threads: 1});
            try {
                const result = await checkSteeringActsOnLoad(loaded, {nEmbd: loaded.model.embeddingVectorSize,
                    nLayer: Number((loaded.model.fileInfo.architectureMetadata as {block_count: number}).block_count)});
                expect(result?.acts, file).toBe(true);
                expect(result!.moved).toBeGreaterThan(1e-4);
                // what it costs: "Once upon a time" evaluated twice (on the demo model 5 tokens with BOS, so 10)
                expect(result!.evaluatedTokens).toBe(2 * Math.min(8, tokenizePrompt(loaded.model, "Once upon a time").length));
                expect(result!.evaluatedTokens).toBeLessThanOrEqual(16);
                if (file === storiesModel) expect(result!.evaluatedTokens).toBe(10);
                // set-up leaves the check to its caller (the chat runs it once it is shown), once however often asked
                const setup = await setupSteering(loaded, {vectors: []});
                expect(setup.notes.filter((n) => /control vector/.test(n))).toEqual([]);
                const check = setup.checkSteering!();
                expect(setup.checkSteering!()).toBe(check);
                expect(await check).toBeUndefined();
            } finally {
                await loaded.dispose();
            }
        }
    });

    it("the note: the check's warning when steering does not act, none when it acts, the list's where it cannot run", async () => {
        const model = {model: {fileInfo: {metadata: {general: {architecture: "mystery"}}}}} as never;
        const listed = {shape: {nEmbd: 8, nLayer: 6}, architectureWarning: "the list's warning"};
        const unlisted = {shape: {nEmbd: 8, nLayer: 6}, architectureWarning: undefined};
        const verdict = (acts: boolean) => () => Promise.resolve({acts, layer: 2, moved: acts ? 0.1 : 0, evaluatedTokens: 10});
        expect(await steeringActsNote(model, listed, verdict(true))).toBeUndefined(); // checked: it acts, whatever the list says
        expect(await steeringActsNote(model, unlisted, verdict(false))).toMatch(/^Warning: a control vector added at layer 2 did not move layer 3: .*"mystery"/);
        expect(await steeringActsNote(model, listed, () => Promise.resolve(undefined))).toBe("the list's warning");
        expect(await steeringActsNote(model, listed, () => Promise.reject(new Error("no capture")))).toBe("the list's warning");
        expect(await steeringActsNote(model, unlisted, () => Promise.resolve(undefined))).toBeUndefined();
    });
});
