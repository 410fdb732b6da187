/**
 * The shipped demo vectors visibly steer the shipped demo model: over seeded samples, each one's target name is
 * written more often as its coefficient grows, while the text stays readable (perplexity bound), and the name it
 * replaces ("Lily", the model's favourite) fades.
 */
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {steeringHooks} from "../../src/session/setupSteering.js";
import {createConversation, type Conversation} from "../../src/engine/conversation.js";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {SteeringController} from "../../src/steering/steeringController.js";
import {repoRoot, storiesModelPath} from "../helpers/tinyModel.js";

const SEEDS = [1, 2, 3, 4, 5, 6];
/** a steered story may be odder than an unsteered one, but not gibberish (gibberish here scores 3 to 9) */
const MAX_PERPLEXITY = 2.6;

const demos = [
    {vector: "sue", word: "Sue", coefficients: [0, 0.5, 1]},
    {vector: "tim", word: "Tim", coefficients: [0, 0.5, 0.75]}
];

const count = (text: string, word: string) => (text.match(new RegExp(`\\b${word}\\b`, "g")) ?? []).length;

describe("the shipped demo vectors on the demo model", () => {
    let loaded: LoadedModel;
    let controller: SteeringController;
    let conversation: Conversation;
    beforeAll(async () => {
        loaded = await loadModel(storiesModelPath, {gpu: false, contextSize: 512, threads: 1});
        controller = SteeringController.create(loaded.context, loaded.model);
        conversation = createConversation(loaded, {mode: "raw", sampling: {temperature: 0.8, maxTokens: 60},
            ...steeringHooks(controller)});
    });
    afterAll(async () => loaded?.dispose());

    /** six seeded stories from "Once upon a time": how often each word appears, and the mean perplexity */
    async function sample(words: string[]) {
        const counts = new Map(words.map((w) => [w, 0]));
        let logProb = 0;
        for (const seed of SEEDS) {
            await conversation.clear();
            conversation.sampling.seed = seed;
            const reply = await conversation.send("Once upon a time");
            for (const w of words) counts.set(w, counts.get(w)! + count(reply.text, w));
            logProb += reply.meanLogProb ?? Number.NaN; // no sampled token: the bound below fails, as it should
        }
        return {counts, perplexity: Math.exp(-logProb / SEEDS.length)};
    }

    for (const demo of demos) {
        it(`${demo.vector}: "${demo.word}" grows with the coefficient (${demo.coefficients.join(" → ")}), "Lily" fades, perplexity ≤ ${MAX_PERPLEXITY}`, async () => {
            await controller.addVector(path.join(repoRoot, "vectors", `${demo.vector}.gguf`), 0);
            const rows = [];
            for (const c of demo.coefficients) {
                controller.update((s) => s.setCoefficient(demo.vector, c));
                rows.push({coefficient: c, ...await sample([demo.word, "Lily"])});
            }
            controller.update((s) => s.remove(demo.vector));
            const table = JSON.stringify(rows.map((r) =>
                ({c: r.coefficient, ...Object.fromEntries(r.counts), ppl: r.perplexity.toFixed(2)})));
            const target = rows.map((r) => r.counts.get(demo.word)!);
            for (let i = 1; i < target.length; i++) expect(target[i], table).toBeGreaterThanOrEqual(target[i - 1]!);
            expect(target.at(-1)! - target[0]!, table).toBeGreaterThanOrEqual(5);
            expect(rows.at(-1)!.counts.get("Lily")!, table).toBeLessThan(rows[0]!.counts.get("Lily")!);
            for (const r of rows) expect(r.perplexity, table).toBeLessThanOrEqual(MAX_PERPLEXITY);
        }, 600_000); // 18 short stories: seconds on an idle machine, but never a reason to fail on a busy one
    }
});
