/**
 * Which tokens the steering acts on:
 * - `all` (the default): every token, prompt and history included, as llama.cpp's --control-vector does;
 * - `reply`: only the reply. The prompt and history are evaluated unsteered and the vector is switched on from the
 *   last prompt token (whose logits give the first reply token), as CAA adds its vector "after the prompt".
 * The conversation does the switching (ConversationOptions.replySettings); this makes its settings from a
 * steering controller.
 */
import type {ReplySettings} from "../engine/conversation.js";
import type {SteeringController} from "./steeringController.js";
import {SteeringState} from "./steeringState.js";

export type SteerPolicy = "all" | "reply";
export const STEER_POLICIES: readonly SteerPolicy[] = ["all", "reply"];

/** the settings key of unsteered evaluation: what SteeringState.signature() gives for no steering */
export const UNSTEERED_KEY = new SteeringState().signature();

/**
 * The reply-only switch for a conversation steered by `controller` (pass it as `replySettings` beside the steering
 * hooks): active when `policy()` is `reply` and the applied steering changes the model. Its prompt key is the
 * unsteered signature, so a history evaluated unsteered under either policy is the same cache.
 */
export function replyOnlySettings(controller: SteeringController, policy: () => SteerPolicy): ReplySettings {
    return {
        active: () => policy() === "reply" && !controller.appliedState.isNeutral(),
        toPrompt: () => controller.applyUnsteered(),
        toReply: () => controller.reapply(),
        promptKey: () => UNSTEERED_KEY
    };
}
