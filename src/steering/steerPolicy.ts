/**
 * Which tokens the steering acts on:
 * - `all` (the default): every token, prompt and history included, as llama.cpp's --control-vector does;
 * - `reply`: only the reply. The prompt and history are evaluated unsteered and the vector is switched on from the
 *   last prompt token (whose logits give the first reply token), as CAA adds its vector "after the prompt";
 * - `first:N` (a schedule): as `all`, but only the first N reply tokens are steered: the vector is cleared right
 *   before the loop decodes reply token N (whose logits give token N + 1). N at least the reply's length is `all`;
 * - `from:N` (a schedule): as `reply`, but the first N reply tokens are unsteered too: the vector is switched on
 *   right before the loop decodes reply token N. `from:0` is `reply`.
 * A schedule's switch happens inside the native generation loop, at that exact token boundary.
 * Beside the policy, `--steer-code off` (codeSteering "off") turns the steering off while the reply is inside a fenced
 * code block (codeFence.ts), switched at exact token boundaries too: a gate on the generation (GenerationGate).
 * The conversation does the switching (ConversationOptions.replySettings); this makes its settings from a
 * steering controller.
 */
import type {ReplySettings} from "../engine/conversation.js";
import {UserFacingError} from "../errors.js";
import {CodeFenceTracker, FENCE_BREAK_CHARACTERS} from "./codeFence.js";
import type {SteeringController} from "./steeringController.js";
import {SteeringState} from "./steeringState.js";

export type SteerPolicy = "all" | "reply" | `first:${number}` | `from:${number}`;
/** the policies without a count, and the forms of those with one (for help and errors) */
export const STEER_POLICIES: readonly string[] = ["all", "reply", "first:N", "from:N"];

/** the largest N a schedule takes (beyond any reply) */
const MAX_SCHEDULE = 1_000_000;

/** A policy from its text (`all`, `reply`, `first:N` with N ≥ 1, `from:N` with N ≥ 0), or undefined. */
export function parseSteerPolicy(text: string): SteerPolicy | undefined {
    const raw = text.trim();
    if (raw === "all" || raw === "reply") return raw;
    const m = /^(first|from):(\d+)$/.exec(raw);
    if (m == null) return undefined;
    const n = Number(m[2]);
    if (!Number.isSafeInteger(n) || n > MAX_SCHEDULE || (m[1] === "first" && n < 1)) return undefined;
    return m[1] === "from" && n === 0 ? "reply" : `${m[1] as "first" | "from"}:${n}`;
}

/** parseSteerPolicy, or a UserFacingError naming `where` (a flag, a command, a preset field) */
export function steerPolicyOf(where: string, text: string): SteerPolicy {
    const policy = parseSteerPolicy(text);
    if (policy == null)
        throw new UserFacingError(`Invalid value for ${where}: "${text}"`,
            "use all, reply, first:N (only the first N reply tokens steered, N ≥ 1) or from:N (from reply token N on)");
    return policy;
}

/** a schedule's kind and count; undefined for `all` and `reply` */
export function scheduleOf(policy: SteerPolicy): {kind: "first" | "from", n: number} | undefined {
    const m = /^(first|from):(\d+)$/.exec(policy);
    return m ? {kind: m[1] as "first" | "from", n: Number(m[2])} : undefined;
}

/** whether the prompt and history are read unsteered under `policy` (reply and from:N) */
export function promptUnsteered(policy: SteerPolicy): boolean {
    return policy === "reply" || scheduleOf(policy)?.kind === "from";
}

/** The policy in words, for the panel, the status line and /steering. */
export function describeSteerPolicy(policy: SteerPolicy): string {
    const schedule = scheduleOf(policy);
    if (schedule == null) return policy === "reply" ? "reply only" : "every token";
    return schedule.kind === "first" ? `the first ${schedule.n} reply tokens (and the prompt)`
        : `reply tokens from ${schedule.n} on`;
}

/** whether the steering acts inside fenced code blocks of the reply (`--steer-code on|off`; on by default) */
export type CodeSteering = "on" | "off";

/** `on` or `off` from its text, or a UserFacingError naming `where` */
export function codeSteeringOf(where: string, text: string): CodeSteering {
    const raw = text.trim();
    if (raw === "on" || raw === "off") return raw;
    throw new UserFacingError(`Invalid value for ${where}: "${text}"`,
        "use off (no steering inside fenced code blocks of the reply) or on (the default)");
}

/** the settings key of unsteered evaluation: what SteeringState.signature() gives for no steering */
export const UNSTEERED_KEY = new SteeringState().signature();

/**
 * The reply-only switch for a conversation steered by `controller` (pass it as `replySettings` beside the steering
 * hooks): active when `policy()` reads the prompt unsteered (reply, from:N) and the applied steering changes the
 * model. Its prompt key is the unsteered signature, so a history evaluated unsteered under either policy is the same
 * cache. A schedule adds a switch inside the reply: first:N clears the vector after N reply tokens, from:N puts it on.
 */
export function replyOnlySettings(controller: SteeringController, policy: () => SteerPolicy,
    codeSteering: () => CodeSteering = () => "on"): ReplySettings {
    return {
        active: () => promptUnsteered(policy()) && !controller.appliedState.isNeutral(),
        toPrompt: () => controller.applyUnsteered(),
        toReply: () => controller.reapply(),
        promptKey: () => UNSTEERED_KEY,
        replySwitch: () => {
            const schedule = scheduleOf(policy());
            if (schedule == null || controller.appliedState.isNeutral()) return undefined;
            return schedule.kind === "first"
                ? {after: schedule.n, to: "prompt", vector: null}
                : {after: schedule.n, to: "reply", vector: controller.appliedVector};
        },
        replyGate: () => {
            const vector = controller.appliedVector;
            if (codeSteering() !== "off" || vector == null || controller.appliedState.isNeutral()) return undefined;
            const fences = new CodeFenceTracker();
            return {
                vector, pauseCharacters: FENCE_BREAK_CHARACTERS,
                feed: (text) => fences.feed(text),
                open: () => !fences.inCode(),
                apply: (on) => (on ? controller.reapply() : controller.applyUnsteered())
            };
        }
    };
}
