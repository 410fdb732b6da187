/**
 * Whether steering acts on this model, checked rather than looked up: a small random direction is added at one layer
 * on the capture context, and the next layer's hidden state must move. llama.cpp silently ignores a control vector on
 * an architecture whose graph never adds it (the list in cvecArchitectures.ts, derived from its source, can go stale);
 * this check says so whatever the list says. One short evaluation, twice (without, then with the direction).
 *
 * It runs in the background: the chat opens first and the check's one-line warning comes as a note when it is done
 * (only when steering does not act). `ask` and `serve` run it before they generate, and `ask` only when steering was
 * asked for: it is cheap, "Once upon a time" evaluated twice, 2 × 5 = 10 tokens on the demo model and about as few
 * on any tokenizer (the text is cut to 8 tokens: at most 16), the cost of evaluating one short prompt.
 */
import type {HiddenStateCapture} from "../native/captureBridge.js";
import type {ControlVectorBuffer} from "../native/loader.js";
import {displayText} from "../displayText.js";
import {tokenizePrompt} from "../engine/generateTokens.js";
import type {LoadedModel} from "../engine/runtime.js";
import {loadNativeSteering} from "../native/steeringBridge.js";
import {seededRandom} from "../random.js";
import type {SteeringController} from "./steeringController.js";

export type SteeringActs = {
    acts: boolean,
    /** the layer the direction was added at, and the one read */
    layer: number,
    /** |Δh| / |h| of the read layer's last row */
    moved: number,
    /** tokens evaluated for the check, both evaluations together: what it costs */
    evaluatedTokens: number
};

/** the direction's length, relative to the hidden state's at its layer: small, but far above float rounding */
const RELATIVE_PUSH = 0.05;
/** below this relative change of the next layer, the vector was not added */
const MIN_MOVE = 1e-6;

/** the layer the check pushes at: one in the middle with a next layer whose output is kept for every row */
export function checkLayer(nLayer: number): number | undefined {
    if (nLayer < 3) return undefined;
    return Math.max(1, Math.floor((nLayer - 1) / 2));
}

const lastRow = (rows: Float32Array, nEmbd: number) => rows.subarray(rows.length - nEmbd);
function norm(v: ArrayLike<number>): number {
    let sum = 0;
    for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
    return Math.sqrt(sum);
}

/**
 * The decision from two captures (per-layer hidden states, without and with a push at `layer`): steering acts when
 * layer + 1's last row moved.
 */
export function steeringActsFrom(plain: readonly Float32Array[], pushed: readonly Float32Array[], layer: number,
    nEmbd: number): Omit<SteeringActs, "evaluatedTokens"> {
    const before = lastRow(plain[layer + 1]!, nEmbd);
    const after = lastRow(pushed[layer + 1]!, nEmbd);
    const diff = Float64Array.from(before, (x, i) => after[i]! - x);
    const moved = norm(diff) / Math.max(norm(before), Number.MIN_VALUE);
    return {acts: Number.isFinite(moved) && moved > MIN_MOVE, layer, moved};
}

/**
 * Runs the check on a capture context: `tokens` (a few) once plainly, once with a seeded random direction at the
 * middle layer, |direction| = RELATIVE_PUSH × |h| there. Undefined when the model has too few layers to check.
 */
export async function checkSteeringActs(capture: Pick<HiddenStateCapture, "capture">, shape: {nEmbd: number, nLayer: number},
    tokens: readonly number[], seed = 1): Promise<SteeringActs | undefined> {
    const layer = checkLayer(shape.nLayer);
    if (layer == null || tokens.length === 0) return undefined;
    const plain = await capture.capture(tokens, {allRows: true});
    const scale = RELATIVE_PUSH * norm(lastRow(plain[layer]!, shape.nEmbd));
    const rand = seededRandom(seed);
    const direction = Float64Array.from({length: shape.nEmbd}, () => rand() - 0.5);
    const unit = norm(direction);
    // the buffer llama_set_adapter_cvec takes (layer 1 first), non-zero at `layer` only
    const data = new Float32Array(shape.nEmbd * (shape.nLayer - 1));
    data.set(Float32Array.from(direction, (x) => (x / unit) * (scale > 0 ? scale : 1)), (layer - 1) * shape.nEmbd);
    const steering: ControlVectorBuffer = {data, nEmbd: shape.nEmbd, layerStart: layer, layerEnd: layer};
    const pushed = await capture.capture(tokens, {allRows: true, steering});
    return {...steeringActsFrom(plain, pushed, layer, shape.nEmbd), evaluatedTokens: 2 * tokens.length};
}

/** The one-line note when the check found steering does nothing on this model. */
export function steeringIgnoredWarning(architecture: string, result: Pick<SteeringActs, "layer">): string {
    return `Warning: a control vector added at layer ${result.layer} did not move layer ${result.layer + 1}: llama.cpp ignores control vectors ` +
        `on this model ("${displayText(architecture, 64)}" architecture); steering will have no effect`;
}

/**
 * The check on a loaded model's own capture context (a few tokens); undefined when it cannot run here (no capture
 * in this llama.cpp, too few layers), when the list's word stands.
 */
export async function checkSteeringActsOnLoad(loaded: LoadedModel,
    shape: {nEmbd: number, nLayer: number}): Promise<SteeringActs | undefined> {
    const status = loadNativeSteering();
    if (!status.available) return undefined;
    const tokens = tokenizePrompt(loaded.model, "Once upon a time").slice(0, 8);
    let capture: HiddenStateCapture;
    try {
        capture = status.native.createCapture(loaded.context, Math.max(tokens.length, 1), loaded.context.currentThreads || 1);
    } catch {
        return undefined;
    }
    try {
        return await checkSteeringActs(capture, shape, tokens);
    } finally {
        capture.free();
    }
}

/**
 * The start-up note about this model's steering: the check's warning when a push did not move the next layer, none
 * when it did (whatever the list says), and the list's warning where the check cannot run. `check` is the check on
 * the model (tests give their own).
 */
export async function steeringActsNote(loaded: LoadedModel, controller: Pick<SteeringController, "shape" | "architectureWarning">,
    check: typeof checkSteeringActsOnLoad = checkSteeringActsOnLoad): Promise<string | undefined> {
    const checked = await check(loaded, controller.shape).catch(() => undefined);
    if (checked == null) return controller.architectureWarning;
    return checked.acts ? undefined : steeringIgnoredWarning(String(loaded.model.fileInfo.metadata?.general?.architecture ?? "unknown"), checked);
}
