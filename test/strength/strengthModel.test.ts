/**
 * Calibrated strength, the coherence gauge and auto-calibration on real models: the demo model (stories260K, with
 * its shipped vector sue) and a generated llama. Greedy decoding, one thread.
 */
import {writeFileSync, readFileSync, readdirSync} from "node:fs";
import path from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {createConversation, type Conversation} from "../../src/engine/conversation.js";
import {tokenizePrompt} from "../../src/engine/generateTokens.js";
import {loadModel, type LoadedModel} from "../../src/engine/runtime.js";
import {autoCalibrate} from "../../src/steering/autoCalibrate.js";
import {measureCalibration, modelCalibration} from "../../src/steering/calibration.js";
import {CoherenceMeter} from "../../src/steering/coherenceMeter.js";
import {loadNativeSteering, type NativeSteering} from "../../src/native/steeringBridge.js";
import {SteeringController} from "../../src/steering/steeringController.js";
import {withinLimits} from "../../src/steering/strengthSearch.js";
import {calibrationReport} from "../../src/steering/calibrationReport.js";
import {coefficientForSigma, type ModelCalibration} from "../../src/steering/strengthUnits.js";
import {storiesModel, tempDir, writeSyntheticModel} from "../helpers/steeringTestKit.js";

process.env.STEER_CHAT_DATA_DIR = tempDir("steer-data-");

function native(): NativeSteering {
    const status = loadNativeSteering();
    if (!status.available) throw new Error(status.reason);
    return status.native;
}

describe("calibration", () => {
    it("is deterministic on the demo model and a generated one, and cached by the model's hash", async () => {
        for (const file of [storiesModel, writeSyntheticModel({nEmbd: 32, nLayer: 4, seed: 3})]) {
            const loaded = await loadModel(file, {gpu: false, contextSize: 256, threads: 1});
            try {
                const first = await measureCalibration(loaded);
                const second = await measureCalibration(loaded);
                expect(second).toEqual(first);
                const nLayer = Number((loaded.model.fileInfo.architectureMetadata as {block_count: number}).block_count);
                expect(first.nLayer).toBe(nLayer);
                expect(first.layers.map((l) => l.layer)).toEqual(Array.from({length: nLayer - 1}, (_, i) => i + 1));
                expect(first.layers.every((l) => l.typicalNorm > 0)).toBe(true);

                const dir = tempDir();
                expect(await modelCalibration(loaded, {dir})).toEqual(first);
                const [cacheFile] = readdirSync(dir);
                expect(cacheFile).toBe(`${first.modelHash.slice(0, 16)}.json`);
                // the cache is read, not measured again: a changed value in it comes back
                const cached = JSON.parse(readFileSync(path.join(dir, cacheFile!), "utf8")) as ModelCalibration;
                cached.layers[0]!.typicalNorm *= 2;
                writeFileSync(path.join(dir, cacheFile!), JSON.stringify(cached));
                expect((await modelCalibration(loaded, {dir})).layers[0]!.typicalNorm).toBe(first.layers[0]!.typicalNorm * 2);
                // a damaged cache is measured again
                writeFileSync(path.join(dir, cacheFile!), "{\"version\": 1");
                expect(await modelCalibration(loaded, {dir})).toEqual(first);
            } finally {
                await loaded.dispose();
            }
        }
    });
});

describe("on the demo model", () => {
    let loaded: LoadedModel;
    let controller: SteeringController;
    let calibration: ModelCalibration;
    let meter: CoherenceMeter;
    let conversation: Conversation;
    let policy: "all" | "reply" = "all";
    let sequence: import("node-llama-cpp").LlamaContextSequence;

    beforeAll(async () => {
        loaded = await loadModel(storiesModel, {gpu: false, contextSize: 256, threads: 1});
        // the conversation's sequence, to look at its cache by hand
        const getSequence = loaded.context.getSequence.bind(loaded.context);
        loaded.context.getSequence = (...args) => (sequence = getSequence(...args));
        controller = SteeringController.create(loaded.context, loaded.model);
        const entry = await controller.loadEntry("sue", 0);
        controller.update((s) => s.add(entry));
        calibration = await measureCalibration(loaded);
        meter = new CoherenceMeter(loaded);
        const {replyOnlySettings} = await import("../../src/steering/steerPolicy.js");
        conversation = createConversation(loaded, {mode: "raw", sampling: {temperature: 0, maxTokens: 32},
            beforeTurn: () => controller.applyStaged(), settingsKey: () => controller.appliedState.signature(), history: "keep",
            replySettings: replyOnlySettings(controller, () => policy)});
    });
    afterAll(async () => {
        await meter?.free();
        await loaded?.dispose();
    });

    const setSigma = (sigma: number) =>
        controller.update((s) => s.setCoefficient("sue", sigma === 0 ? 0 : coefficientForSigma(sigma, s.get("sue").vector, calibration)));

    it("the capture context's logits are the main context's, unsteered and steered", async () => {
        const capture = native().createCapture(loaded.context, 64, 1);
        try {
            const prompt = tokenizePrompt(loaded.model, "Once upon a time, there was");
            for (const sigma of [0, 0.2]) {
                setSigma(sigma);
                controller.applyStaged();
                await conversation.clear();
                await sequence.evaluateWithoutGeneratingNewTokens(prompt.slice(0, -1));
                const [out] = (await sequence.controlledEvaluate([[prompt.at(-1)!, {generateNext: {probabilities: true,
                    options: {temperature: 1, topK: 0, topP: 1, minP: 0}}}]])).slice(-1);
                const main = out!.next!.probabilities!;
                const logits = await capture.logits(prompt, {fromRow: prompt.length - 1, steering: controller.appliedVector});
                expect(logits.length).toBe(main.size);
                const max = Math.max(...logits);
                const sum = logits.reduce((s, x) => s + Math.exp(x - max), 0);
                for (const [token, p] of main) expect(Math.abs(Math.exp(logits[token]! - max) / sum - p)).toBeLessThan(1e-5);
            }
        } finally {
            capture.free();
            setSigma(0);
        }
    });

    it("KL from the unsteered model is 0 unsteered and grows with strength", async () => {
        policy = "all";
        setSigma(0);
        await conversation.clear();
        const plain = await conversation.send("Once upon a time");
        const atStrength = async (sigma: number, regenerate: boolean) => {
            setSigma(sigma);
            controller.applyStaged();
            let reply = plain;
            if (regenerate) {
                await conversation.clear();
                reply = await conversation.send("Once upon a time");
            }
            return (await meter.measure({context: reply.context!, reply: reply.tokens, steering: controller.appliedVector})).kl;
        };
        // a reply measured in pieces (5 rows of logits a pass) gives the gauge of one pass
        setSigma(0.1);
        controller.applyStaged();
        const pieces = new CoherenceMeter(loaded, {logitBudget: 5 * 512});
        const whole = await meter.measure({context: plain.context!, reply: plain.tokens, steering: controller.appliedVector});
        const inPieces = await pieces.measure({context: plain.context!, reply: plain.tokens, steering: controller.appliedVector});
        await pieces.free();
        expect(plain.tokens.length).toBeGreaterThan(10);
        expect(inPieces.tokens).toBe(whole.tokens);
        expect(inPieces.kl).toBeCloseTo(whole.kl, 5);
        expect(inPieces.perplexity).toBeCloseTo(whole.perplexity, 5);
        const sigmas = [0, 0.05, 0.1, 0.2, 0.4, 0.8];
        // on one fixed text (the unsteered reply)
        const fixed = [];
        for (const sigma of sigmas) fixed.push(await atStrength(sigma, false));
        expect(fixed[0]).toBe(0);
        for (let i = 1; i < fixed.length; i++) expect(fixed[i]!, `KL at ${sigmas[i]}σ`).toBeGreaterThan(fixed[i - 1]!);
        // on the replies each strength writes, over the range where the model still writes text
        const generated = [];
        for (const sigma of [0, 0.05, 0.1, 0.2]) generated.push(await atStrength(sigma, true));
        expect(generated[0]).toBe(0);
        for (let i = 1; i < generated.length; i++) expect(generated[i]!).toBeGreaterThan(generated[i - 1]!);
        setSigma(0);
    });

    it("auto-calibration's limit is where the measure crosses the limit", async () => {
        policy = "all";
        const limits = {kl: 0.5, repetition: 0.5};
        const result = await autoCalibrate(loaded, conversation, controller, {name: "sue", calibration, limits, maxSigma: 1, steps: 4,
            prompts: ["Once upon a time", "One day, a boy"]});
        expect(controller.state.get("sue").coefficient).toBe(0); // put back
        const at = (sigma: number) => result.points.find((p) => p.sigma === sigma)!;
        expect(result.points[0]!.sigma).toBe(0);
        for (const r of [result.positive, result.negative]) {
            expect(r.stopped).toBe(false);
            expect(r.failedAt).toBeDefined();
            expect(withinLimits(at(r.limit), limits, result.baseline)).toBe(true);
            expect(withinLimits(at(r.failedAt!), limits, result.baseline)).toBe(false);
            expect(Math.abs(r.failedAt! - r.limit)).toBeLessThanOrEqual(1 / 2 ** 4 + 1e-9);
        }
        expect(result.positive.limit).toBeGreaterThan(0);
        expect(result.negative.limit).toBeLessThanOrEqual(0);
        expect(result.coefficientRange.max).toBeCloseTo(coefficientForSigma(result.positive.limit, controller.state.get("sue").vector, calibration), 5);
    });

    it("stopped during a probe: the probe is not a row, the side never searched has no limit, and the report sets no range", async () => {
        policy = "all";
        const prompts = ["Once upon a time", "One day, a boy"];
        const abort = new AbortController();
        const send = conversation.send;
        let sends = 0;
        // the stop comes as the first reply of the second strength (+1σ, the positive side's far end) begins
        conversation.send = (text, options) => {
            if (++sends === prompts.length + 1) abort.abort();
            return send.call(conversation, text, options);
        };
        const announced: number[] = [];
        try {
            const result = await autoCalibrate(loaded, conversation, controller, {name: "sue", calibration, limits: {kl: 0.5, repetition: 0.5},
                maxSigma: 1, steps: 4, prompts, signal: abort.signal, onPoint: (p) => announced.push(p.sigma)});
            expect(announced).toEqual([0]);
            expect(result.points.map((p) => p.sigma)).toEqual([0]);
            expect(result.interrupted).toBe(1);
            expect(result.stopped).toBe(true);
            expect(result.positive).toEqual({limit: 0, stopped: true});
            expect(result.negative).toEqual({limit: 0, stopped: true});
            const report = calibrationReport(result, {model: "stories", sampling: {temperature: 0, seed: 0, maxTokens: 48}, policy: "all"});
            expect(report).not.toContain("the whole range passed");
            expect(report).toContain("largest positive: not found (stopped before this side was searched)");
            expect(report).toContain("stopped during the probe at +1");
            expect(report).toContain("panel range: not set");
            expect(controller.state.get("sue").coefficient).toBe(0); // put back
        } finally {
            conversation.send = send;
        }
    });

    it("reply-only: the prompt is evaluated exactly as unsteered, and the reply matches the same steps by hand", async () => {
        const prompt = tokenizePrompt(loaded.model, "Once upon a time, there was a little");
        const head = prompt.slice(0, -1);
        const last = prompt.at(-1)!;
        const full = {probabilities: true, options: {temperature: 1, topK: 0, topP: 1, minP: 0}} as const;
        /** the distribution after the prompt, with what the cache holds of its head kept and the last token read unsteered */
        const probeHead = async () => {
            await sequence.eraseContextTokenRanges([{start: head.length, end: sequence.nextTokenIndex}]);
            expect(sequence.contextTokens).toEqual(head);
            controller.applyUnsteered();
            const out = await sequence.controlledEvaluate([[last, {generateNext: full}]]);
            controller.reapply(); // back to what the conversation set
            return [...out.at(-1)!.next!.probabilities!.entries()];
        };
        setSigma(0.2);
        const text = "Once upon a time, there was a little";

        policy = "reply";
        await conversation.clear();
        const replyOnly = await conversation.send(text);
        // nothing changed: the steered reply is as the policy made it, not "older steering"
        expect(conversation.contextUsage().staleTokens).toBe(0);
        // other steering applied: what was evaluated steered (the last prompt token on) is older, the unsteered head is not
        setSigma(0.3);
        controller.applyStaged();
        expect(conversation.contextUsage().staleTokens).toBe(conversation.contextUsage().used - head.length);
        setSigma(0.2);
        controller.applyStaged();
        const underReply = await probeHead();

        policy = "all";
        await conversation.clear();
        const steeredAll = await conversation.send(text);
        const underAll = await probeHead();

        // unsteered by hand
        await conversation.clear();
        controller.applyUnsteered();
        await sequence.evaluateWithoutGeneratingNewTokens(head);
        const unsteered = [...(await sequence.controlledEvaluate([[last, {generateNext: full}]])).at(-1)!.next!.probabilities!.entries()];
        controller.reapply();

        expect(underReply).toEqual(unsteered); // bit for bit
        expect(underAll).not.toEqual(unsteered); // the check can fail: steering the prompt changes it

        // the policy's steps by hand through the native helper: head unsteered, the vector on, then generate
        await conversation.clear();
        native().apply(loaded.context, null);
        await sequence.evaluateWithoutGeneratingNewTokens(head);
        native().apply(loaded.context, controller.appliedVector);
        const {generateTokens} = await import("../../src/engine/generateTokens.js");
        const byHand = await generateTokens(sequence, [last], {...conversation.sampling});
        expect(replyOnly.tokens).toEqual(byHand.tokens);
        expect(replyOnly.tokens).not.toEqual(steeredAll.tokens);

        // the gauge under reply-only measures the same switch on the capture context
        const gaugeReply = await meter.measure({context: replyOnly.context!, reply: replyOnly.tokens, steering: controller.appliedVector, policy: "reply"});
        const gaugeAll = await meter.measure({context: replyOnly.context!, reply: replyOnly.tokens, steering: controller.appliedVector, policy: "all"});
        expect(gaugeReply.kl).toBeGreaterThan(0);
        expect(gaugeReply.kl).not.toBe(gaugeAll.kl);
        setSigma(0);
        controller.applyStaged();
    });

    it("reply-only and the history: a past reply, evaluated steered, is evaluated again unsteered under reeval", async () => {
        const {replyOnlySettings} = await import("../../src/steering/steerPolicy.js");
        conversation.dispose();
        let turnPolicy: "all" | "reply" = "reply";
        const c = createConversation(loaded, {mode: "raw", sampling: {temperature: 0, maxTokens: 12}, history: "reeval",
            beforeTurn: () => controller.applyStaged(), settingsKey: () => controller.appliedState.signature(),
            replySettings: replyOnlySettings(controller, () => turnPolicy)});
        setSigma(0.2);
        try {
            for (const policy of ["reply", "all"] as const) {
                turnPolicy = policy;
                await c.clear();
                const first = await c.send("Once upon a time");
                const second = await c.send("The dog");
                // reply: the first reply (and its last prompt token) were evaluated steered, the history must be unsteered
                expect(second.history!.reevaluated, policy).toBe(policy === "reply");
                if (policy === "reply") expect(second.history!.evaluatedTokens).toBeGreaterThan(first.tokens.length);
                // the reply's own tokens, steered as the policy says, are not "older steering": nothing changed
                expect(c.contextUsage().staleTokens, policy).toBe(0);
            }
            // the policy back to all with the same steering: the context is steered again
            turnPolicy = "all";
            await c.clear();
            const steered = await c.send("Once upon a time");
            setSigma(0);
            await c.clear();
            const plain = await c.send("Once upon a time");
            expect(steered.tokens).not.toEqual(plain.tokens);
        } finally {
            c.dispose();
        }
        conversation = createConversation(loaded, {mode: "raw", sampling: {temperature: 0, maxTokens: 32},
            beforeTurn: () => controller.applyStaged(), settingsKey: () => controller.appliedState.signature(), history: "keep",
            replySettings: replyOnlySettings(controller, () => policy)});
    });

    it("reply-only under keep: no tokens count as older steering until the steering changes", async () => {
        const {replyOnlySettings} = await import("../../src/steering/steerPolicy.js");
        conversation.dispose(); // the context has one sequence: this test's conversation takes it, and gives it back
        const c = createConversation(loaded, {mode: "raw", sampling: {temperature: 0, maxTokens: 12}, history: "keep",
            beforeTurn: () => controller.applyStaged(), settingsKey: () => controller.appliedState.signature(),
            replySettings: replyOnlySettings(controller, () => "reply")});
        setSigma(0.2);
        try {
            await c.send("Once upon a time");
            await c.send("The dog");
            expect(c.contextUsage().staleTokens).toBe(0);
            setSigma(0.4);
            const third = await c.send("The cat");
            // the replies before were evaluated under the steering at 0.2σ: from the first of them on, all is older
            const stale = c.contextUsage().staleTokens;
            expect(stale).toBeGreaterThan(third.tokens.length);
            expect(stale).toBeLessThan(c.contextUsage().used); // the first prompt was read unsteered: still current
        } finally {
            setSigma(0);
            c.dispose();
        }
        conversation = createConversation(loaded, {mode: "raw", sampling: {temperature: 0, maxTokens: 32},
            beforeTurn: () => controller.applyStaged(), settingsKey: () => controller.appliedState.signature(), history: "keep",
            replySettings: replyOnlySettings(controller, () => policy)});
    });

    it("reply-only in chat mode: node-llama-cpp's chat session reads the prompt unsteered too", async () => {
        const {replyOnlySettings} = await import("../../src/steering/steerPolicy.js");
        conversation.dispose();
        const chat = createConversation(loaded, {mode: "chat", systemPrompt: "be kind", sampling: {temperature: 0, maxTokens: 16}, history: "keep",
            beforeTurn: () => controller.applyStaged(), settingsKey: () => controller.appliedState.signature(),
            replySettings: replyOnlySettings(controller, () => "reply")});
        const full = {probabilities: true, options: {temperature: 1, topK: 0, topP: 1, minP: 0}} as const;
        setSigma(0.2);
        const reply = await chat.send("Tell me a story about a dog.");
        const context = reply.context!;
        expect(sequence.contextTokens.slice(0, context.length)).toEqual(context);
        expect(chat.contextUsage().staleTokens).toBe(0); // nothing changed
        setSigma(0.3);
        controller.applyStaged();
        // under other steering: from the last prompt token on, it was evaluated steered; the head unsteered
        expect(chat.contextUsage().staleTokens).toBe(chat.contextUsage().used - (context.length - 1));
        setSigma(0.2);
        controller.applyStaged();
        const head = context.slice(0, -1);
        const probe = async () => {
            controller.applyUnsteered();
            const out = await sequence.controlledEvaluate([[context.at(-1)!, {generateNext: full}]]);
            controller.reapply();
            return [...out.at(-1)!.next!.probabilities!.entries()];
        };
        await sequence.eraseContextTokenRanges([{start: head.length, end: sequence.nextTokenIndex}]);
        const underReply = await probe();
        await sequence.clearHistory();
        controller.applyUnsteered();
        await sequence.evaluateWithoutGeneratingNewTokens(head);
        controller.reapply();
        expect(underReply).toEqual(await probe());
        chat.dispose();
        setSigma(0);
    });
});
