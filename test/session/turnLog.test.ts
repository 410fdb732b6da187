/**
 * The session owns the transcript (ChatSession.transcript, src/session/turnLog.ts): one list of prompts and replies,
 * with how each reply was made, in step with the conversation's history after every operation that changes it —
 * a turn, a failed turn, /regen, /compare, /sweep, /clear, /history, /reeval — and /save writes from it. Over the
 * in-memory conversation and a staging steering controller: no model.
 */
import {readFileSync} from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import type {SendOptions} from "../../src/engine/conversation.js";
import {ChatSession, type PolicyBox} from "../../src/session/chatSession.js";
import type {ReplyEntry} from "../../src/session/turnLog.js";
import type {SteeringController} from "../../src/steering/steeringController.js";
import type {MixedControlVector} from "../../src/steering/mixControlVectors.js";
import {SteeringState, type SteeringEntry} from "../../src/steering/steeringState.js";
import {FakeConversation} from "../helpers/fakeConversation.js";
import {tempDir, vectorOf} from "../helpers/steeringTestKit.js";

/** stages and applies as SteeringController does, without a context (the mix is a stand-in object) */
class StagingSteering {
    state: SteeringState;
    appliedState = new SteeringState();
    trainedDir: string | undefined;
    private readonly mix = {} as MixedControlVector;
    constructor(state: SteeringState) {
        this.state = state;
    }
    get hasPendingChanges() {
        return this.state.signature() !== this.appliedState.signature();
    }
    update(change: (s: SteeringState) => SteeringState) {
        this.state = change(this.state);
        return this.state;
    }
    applyStaged() {
        const changed = this.hasPendingChanges;
        this.appliedState = this.state;
        return changed;
    }
    get appliedVector(): MixedControlVector | null {
        return this.appliedState.entries.some((e) => e.enabled) ? this.mix : null;
    }
}

/** applies the staged steering before each turn, as the conversation's beforeTurn hook does */
class SteeredConversation extends FakeConversation {
    constructor(private readonly steering: StagingSteering) {
        super("raw");
        this.chunkDelayMs = 0;
    }
    override send(text: string, options?: SendOptions) {
        this.steering.applyStaged();
        return super.send(text, options);
    }
}

const mood: SteeringEntry = {name: "mood", source: "/v/mood.gguf", vector: vectorOf(8, [1, 2], () => 1), coefficient: 0.5, enabled: true};

function setUp(options: Partial<ConstructorParameters<typeof ChatSession>[0]> = {}) {
    const steering = new StagingSteering(new SteeringState([mood]));
    const conversation = new SteeredConversation(steering);
    // each prompt answered with a reply naming it, and how many times it was answered
    let answers = 0;
    conversation.script = (text) => ({chunks: [`re ${text}`, ` #${++answers}`], meanLogProb: -0.5});
    const session = new ChatSession({conversation, modelName: "m", steering: steering as unknown as SteeringController, ...options});
    const inStep = () => expect(session.transcript.history()).toEqual(conversation.history());
    return {session, conversation, steering, inStep};
}

const replies = (session: ChatSession) => session.transcript.entries().filter((e): e is ReplyEntry => e.kind === "reply");

describe("the session's transcript", () => {
    it("a turn records the prompt and the reply with its text, steering, sampling, policy and figures", async () => {
        const policy: PolicyBox = {current: "reply"};
        const {session, conversation, inStep} = setUp({policy});
        const turn = await session.send("hi");
        inStep();
        expect(conversation.history()).toEqual([{user: "hi", reply: "re hi #1"}]);
        const [user, reply] = session.transcript.entries();
        expect(user).toMatchObject({kind: "user", text: "hi"});
        expect(reply).toBe(turn.entry);
        expect(reply).toMatchObject({kind: "reply", text: "re hi #1", outcome: "complete", policy: "reply",
            steering: [{name: "mood", source: "/v/mood.gguf", coefficient: 0.5, enabled: true}],
            sampling: conversation.sampling, stats: {tokenCount: 2, stopReason: "eos", meanLogProb: -0.5}});
        // the reply's text was streamed into the session's draft, the one the screen splits into lines
        expect(session.transcript.draft?.text).toBe("re hi #1");
        expect(session.transcript.replyOf(session.transcript.draft!)).toBe(reply);
    });

    it("a send that fails mid-reply: the partial text is recorded, marked failed; the conversation's history is as it was", async () => {
        const {session, conversation, inStep} = setUp();
        await session.send("one");
        conversation.script = {chunks: ["half", " a", " reply"], failAfter: {chunks: 2, error: new Error("the model fell over")}};
        await expect(session.send("two")).rejects.toThrow("the model fell over");
        inStep();
        expect(conversation.history()).toEqual([{user: "one", reply: "re one #1"}]);
        const failed = replies(session).at(-1)!;
        expect(failed).toMatchObject({text: "half a", outcome: "failed", error: "the model fell over"});
        expect(failed.stats).toBeUndefined();
        expect(session.transcript.entries().at(-2)).toMatchObject({kind: "user", text: "two", failed: true});
        // the chat goes on in step
        conversation.script = {chunks: ["fine"]};
        await session.send("three");
        inStep();
        expect(session.transcript.history().map((e) => e.user)).toEqual(["one", "three"]);
    });

    it("/regen: the reply it replaces stays, marked; a failed /regen keeps the reply that was there", async () => {
        const {session, conversation, inStep} = setUp();
        await session.send("a");
        await session.send("b");
        const {turn} = await session.regen();
        inStep();
        expect(conversation.history()).toEqual([{user: "a", reply: "re a #1"}, {user: "b", reply: "re b #3"}]);
        expect(replies(session).map((r) => [r.text, r.replaced ?? false])).toEqual([["re a #1", false], ["re b #2", true], ["re b #3", false]]);
        expect(turn.entry.text).toBe("re b #3");

        conversation.script = {chunks: ["x", "y"], failAfter: {chunks: 1, error: new Error("broke")}};
        await expect(session.regen()).rejects.toThrow("broke");
        inStep();
        expect(replies(session).at(-1)).toMatchObject({text: "x", outcome: "failed"});
        expect(replies(session).at(-2)).toMatchObject({text: "re b #3"});
        expect(replies(session).at(-2)!.replaced).toBeUndefined();
        // a /regen after a failed new prompt answers the prompt the conversation holds
        await expect(session.send("c")).rejects.toThrow("broke");
        conversation.script = {chunks: ["again"]};
        await session.regen();
        inStep();
        expect(conversation.history().at(-1)).toEqual({user: "b", reply: "again"});
    });

    it("/compare: the steered reply replaces the last; stopped before the steered side, nothing changes", async () => {
        const {session, conversation, inStep} = setUp();
        await session.send("a");
        const result = await session.compare(() => ({}));
        expect(result.kind).toBe("done");
        inStep();
        // the reply without steering is a trial's, no reply of the conversation's
        expect(replies(session).map((r) => [r.text, r.replaced ?? false])).toEqual([["re a #1", true], ["re a #3", false]]);
        expect(session.transcript.replyOf(session.transcript.draft!)?.text).toBe("re a #3");

        const controller = new AbortController();
        controller.abort();
        const before = session.transcript.entries();
        expect((await session.compare(() => ({signal: controller.signal}))).kind).toBe("stoppedOff");
        expect(session.transcript.entries()).toEqual(before);
        inStep();

        // the steered side fails: recorded failed, the exchange that was there stays the conversation's
        let sides = 0;
        conversation.script = () => (++sides === 2 ? {chunks: ["on", "!"], failAfter: {chunks: 1, error: new Error("no")}} : {chunks: ["off"]});
        await expect(session.compare(() => ({}))).rejects.toThrow("no");
        inStep();
        expect(replies(session).at(-1)).toMatchObject({text: "on", outcome: "failed"});
    });

    it("/sweep: its replies are the table's, not the conversation's; the transcript is as it was", async () => {
        const {session, inStep} = setUp();
        await session.send("a");
        const before = session.transcript.entries();
        const rows = await session.sweep("mood", [-1, 1], () => ({}));
        expect(rows.map((r) => r.text)).toEqual(["re a #2", "re a #3"]);
        expect(session.transcript.entries()).toEqual(before);
        inStep();
        session.recordTrial("sweep", "the table");
        expect(session.transcript.entries().at(-1)).toMatchObject({kind: "trial", command: "sweep", text: "the table"});
        inStep();
    });

    it("/clear starts the history again (the transcript keeps what came before, and where); /history and /reeval leave it", async () => {
        const {session, conversation, inStep} = setUp();
        await session.send("a");
        await session.clear();
        inStep();
        expect(conversation.history()).toEqual([]);
        expect(session.transcript.entries().map((e) => e.kind)).toEqual(["user", "reply", "cleared"]);
        await session.send("b");
        session.setHistoryPolicy("keep");
        inStep();
        conversation.staleTokens = 5;
        await session.reevaluate();
        inStep();
        expect(conversation.history()).toEqual([{user: "b", reply: "re b #2"}]);
        // /steering lists the replies since /clear
        expect(session.describeSteering(5).filter((l) => l.startsWith("  reply"))).toEqual(["  reply 1: mood +0.50"]);
    });

    it("the read-out and the gauge, once measured, are recorded on the reply's entry", async () => {
        const gauge = {tokens: 2, kl: 0.3, maxKl: 0.5, repetition: 0, perplexity: 2, truncated: 0, seconds: 0};
        const {session} = setUp({
            readReply: async () => ({vectors: [{name: "mood", z: 1.5}]}) as never,
            gauge: async () => gauge as never
        });
        const turn = await session.send("a");
        await session.readReply(turn);
        await session.measure(turn);
        expect(replies(session)[0]).toMatchObject({readout: {mood: 1.5}, gauge: {kl: 0.3}});
        // the entry the screen was given keeps what it showed; the transcript's is the measured one
        expect(turn.entry.readout).toBeUndefined();
    });

    it("/save writes from the session's list: each reply with its policy, a failed one marked", async () => {
        const policy: PolicyBox = {current: "all"};
        const {session, conversation} = setUp({policy});
        await session.send("a");
        policy.current = "reply";
        conversation.script = {chunks: ["par", "tial"], failAfter: {chunks: 1, error: new Error("broke")}};
        await expect(session.send("b")).rejects.toThrow("broke");
        const dir = tempDir();
        session.saveTranscript(path.join(dir, "t.json"));
        const json = JSON.parse(readFileSync(path.join(dir, "t.json"), "utf8"));
        expect(json.turns).toMatchObject([{role: "user", text: "a"}, {role: "assistant", text: "re a #1", policy: "all", outcome: "complete"},
            {role: "user", text: "b", failed: true}, {role: "assistant", text: "par", policy: "reply", outcome: "failed", error: "broke"}]);
        session.saveTranscript(path.join(dir, "t.md"));
        const md = readFileSync(path.join(dir, "t.md"), "utf8");
        expect(md).toContain("## Model — mood +0.50 (perplexity 1.65)\n\nre a #1");
        expect(md).toContain("## Model (failed mid-reply) — mood +0.50 · steering reply (reply only)\n\npar\n\n_failed: broke_");
    });
});
