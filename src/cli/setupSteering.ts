/**
 * Sets up steering for a loaded model from the command line (--vector, --layers): the controller, the vectors,
 * and the notes to show (why steering is unavailable, architecture warnings).
 */
import {UserFacingError} from "../engine/errors.js";
import type {LoadedModel} from "../engine/runtime.js";
import {SteeringController} from "../steering/steeringController.js";
import {parseLayerRange, parseVectorSpec} from "../steering/steeringState.js";
import type {CliOptions} from "./options.js";

export type SteeringSetup = {controller: SteeringController | undefined, notes: string[]};

export async function setupSteering(loaded: LoadedModel, options: Pick<CliOptions, "vectors" | "layers">): Promise<SteeringSetup> {
    const notes: string[] = [];
    let controller: SteeringController;
    try {
        controller = SteeringController.create(loaded.context, loaded.model);
    } catch (err) {
        if (options.vectors.length > 0 || !(err instanceof UserFacingError)) throw err;
        notes.push(err.toLine());
        return {controller: undefined, notes};
    }
    if (controller.architectureWarning) notes.push(controller.architectureWarning);
    if (options.layers != null && options.vectors.length === 0)
        throw new UserFacingError("--layers needs at least one --vector", "add --vector FILE[:COEFF]");
    const layers = options.layers != null ? parseLayerRange(options.layers) : undefined;
    for (const spec of options.vectors) {
        const {ref, coefficient} = parseVectorSpec(spec);
        await controller.addVector(ref, coefficient, layers);
    }
    return {controller, notes};
}

/** The conversation hook: apply staged steering before each turn; drop the cache when it changed (unless kept). */
export function steeringBeforeTurn(controller: SteeringController | undefined, keepCache: boolean) {
    return () => (controller?.applyStaged() ?? false) && !keepCache;
}
