/**
 * Reading vectors back on the demo model: sue reads higher on its positive prompts than on its negative ones,
 * steering a reply at +c reads higher than at −c, a random direction reads near zero, and the reader's numbers are
 * the projections of the captured hidden states.
 */
import {readFileSync} from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {steeringHooks} from "../../src/session/setupSteering.js";
import {createConversation} from "../../src/engine/conversation.js";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {seededRandom} from "../../tooling/syntheticLlama.js";
import {ConceptReader} from "../../src/steering/conceptReader.js";
import type {ControlVector} from "../../src/steering/controlVector.js";
import {loadControlVector} from "../../src/steering/loadControlVector.js";
import {loadNativeSteering} from "../../src/native/steeringBridge.js";
import {mean, unitDirection} from "../../src/steering/readout.js";
import {SteeringController} from "../../src/steering/steeringController.js";
import {repoRoot, storiesModelPath} from "../helpers/tinyModel.js";

const demoText = (name: string) => readFileSync(path.join(repoRoot, "vectors", "demo", `${name}.txt`), "utf8");
const SEEDS = [1, 2, 3, 4, 5, 6];

function randomVector(seed: number): ControlVector {
    const rand = seededRandom(seed);
    const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
    return {nEmbd: 64, directions: new Map([1, 2, 3, 4].map((l) => [l, Float32Array.from({length: 64}, gauss)]))};
}

describe("reading vectors on the demo model", () => {
    let loaded: LoadedModel;
    let reader: ConceptReader;
    let sue: ControlVector;
    beforeAll(async () => {
        loaded = await loadModel(storiesModelPath, {gpu: false, contextSize: 512, threads: 1});
        reader = ConceptReader.create(loaded, {maxTokens: 256});
        sue = await loadControlVector(path.join(repoRoot, "vectors", "sue.gguf"));
    });
    afterAll(async () => {
        reader?.free();
        await loaded?.dispose();
    });

    it("the reader's projections are the captured hidden states dotted with the unit direction, BOS left out", async () => {
        const status = loadNativeSteering();
        if (!status.available) throw new Error(status.reason);
        const tokens = reader.tokenize("Sue went to the park.");
        const reading = await reader.read(tokens, sue);
        expect(reading.tokens).toEqual(tokens.slice(1));
        const capture = status.native.createCapture(loaded.context, 64, 1);
        try {
            const states = await capture.capture(tokens);
            for (const layer of [1, 4]) {
                const unit = unitDirection(sue.directions.get(layer)!);
                const j = reading.matrix.layers.indexOf(layer);
                for (let t = 1; t < tokens.length; t++) {
                    const row = states[layer]!.subarray(t * 64, (t + 1) * 64);
                    const expected = row.reduce((s, x, i) => s + x * unit[i]!, 0);
                    expect(reading.matrix.values[(t - 1) * 4 + j]).toBeCloseTo(expected, 5);
                }
            }
        } finally {
            capture.free();
        }
    });

    it("sue reads higher on its positive prompts than on its negative ones, at every layer", async () => {
        const positive = await reader.read(demoText("sue"), sue);
        const negative = await reader.read(demoText("not-sue"), sue);
        expect(positive.readout.z).toBeGreaterThan(negative.readout.z + 0.3);
        for (const [i, l] of positive.readout.layers.entries()) expect(l.z, `layer ${l.layer}`).toBeGreaterThan(negative.readout.layers[i]!.z);
        // the tokens of "Sue" carry it: " S"/"S" and "u" read above the text's tokens with neither letter
        const bos = loaded.model.tokens.bos!;
        const texts = positive.tokens.map((t, i) => loaded.model.detokenize([t], false, [bos, ...positive.tokens.slice(0, i)].slice(-8)));
        const zOf = (keep: (text: string) => boolean) =>
            mean(texts.flatMap((text, i) => (keep(text) ? [positive.readout.tokenZ[i]!] : [])));
        expect(zOf((t) => t.trim() === "S" || t === "u")).toBeGreaterThan(zOf((t) => !/[Su]/.test(t)) + 2);
    });

    it("a random direction reads near zero, and tells sue's prompts from Lily's far less than sue does", async () => {
        const sueGap = (await reader.read(demoText("sue"), sue)).readout.z - (await reader.read(demoText("not-sue"), sue)).readout.z;
        const zs: number[] = [];
        const gaps: number[] = [];
        for (let seed = 1; seed <= 12; seed++) {
            const random = randomVector(seed);
            const onSue = (await reader.read(demoText("sue"), random)).readout.z;
            const onLily = (await reader.read(demoText("not-sue"), random)).readout.z;
            zs.push(onSue);
            gaps.push(Math.abs(onSue - onLily));
        }
        const table = JSON.stringify({sueGap, zs: zs.map((z) => z.toFixed(2)), gaps: gaps.map((g) => g.toFixed(2))});
        expect(Math.abs(mean(zs)), table).toBeLessThan(0.25);
        expect(mean(gaps), table).toBeLessThan(sueGap / 3);
    });

    it("steering the reply at +c reads higher than at −c (seeded, read without steering)", async () => {
        const controller = SteeringController.create(loaded.context, loaded.model);
        const conversation = createConversation(loaded, {mode: "raw", sampling: {temperature: 0.8, maxTokens: 40},
            ...steeringHooks(controller)});
        await controller.addVector(path.join(repoRoot, "vectors", "sue.gguf"), 0);
        const readAt = async (c: number) => {
            controller.update((s) => s.setCoefficient("sue", c));
            const zs = [];
            for (const seed of SEEDS) {
                await conversation.clear();
                conversation.sampling.seed = seed;
                const reply = await conversation.send("Once upon a time");
                zs.push({z: (await reader.read([loaded.model.tokens.bos!, ...reply.tokens], sue)).readout.z, text: reply.text});
            }
            return zs;
        };
        const plus = await readAt(1);
        const minus = await readAt(-1);
        const table = JSON.stringify({
            plus: plus.map((r) => [r.z.toFixed(2), r.text.slice(0, 40)]),
            minus: minus.map((r) => [r.z.toFixed(2), r.text.slice(0, 40)])
        });
        const zs = (rows: typeof plus) => rows.map((r) => r.z);
        expect(mean(zs(plus)), table).toBeGreaterThan(mean(zs(minus)) + 0.2);
        // and it reads the reply's content: the replies that name Sue read above those that do not
        const all = [...plus, ...minus];
        const naming = all.filter((r) => /\bSue\b/.test(r.text));
        expect(naming.length, table).toBeGreaterThan(0);
        expect(Math.min(...zs(naming)), table).toBeGreaterThan(Math.max(...zs(all.filter((r) => !/\bSue\b/.test(r.text)))));
    }, 600_000);

    it("reading with the vector applied on the capture context raises the read-out (capture and read agree)", async () => {
        const {mixControlVectors} = await import("../../src/steering/mixControlVectors.js");
        const text = demoText("not-sue");
        const mix = (c: number) => mixControlVectors([{vector: sue, coefficient: c, enabled: true}], {nEmbd: 64, nLayer: 5});
        const plain = await reader.read(text, sue);
        const up = await reader.read(text, sue, {steering: mix(1)});
        const down = await reader.read(text, sue, {steering: mix(-1)});
        expect(up.readout.z).toBeGreaterThan(plain.readout.z);
        expect(down.readout.z).toBeLessThan(plain.readout.z);
        // at layer 1, adding c·d shifts every projection by exactly c·|d| (d is unit-norm)
        expect(up.readout.layers[0]!.meanProjection - plain.readout.layers[0]!.meanProjection).toBeCloseTo(1, 4);
    });
});
