/** `steer-chat preset list | show NAME | save NAME --vector F:C ... | delete NAME`. */
import {UserFacingError} from "../engine/errors.js";
import {describePreset, presetVectorRef} from "../presets/applyPreset.js";
import {PresetStore} from "../presets/presetStore.js";
import type {Preset, PresetVector} from "../presets/presetSchema.js";
import {parseLayerRange, parseVectorSpec} from "../steering/steeringState.js";
import {findVectorFile, looksLikePath} from "../steering/vectorLibrary.js";
import type {CliOptions} from "./options.js";

export function runPreset(options: CliOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream): number {
    const store = new PresetStore();
    for (const notice of store.notices) err.write(`steer-chat: ${notice}\n`);
    const [action, name] = options.args;
    const needName = () => {
        if (name == null) throw new UserFacingError(`preset ${action} needs a NAME`);
        return name;
    };
    switch (action) {
        case "list":
            for (const {preset, origin} of store.list())
                out.write(`${preset.name.padEnd(20)} ${origin.padEnd(8)} ${describePreset(preset)}${preset.description ? `  — ${preset.description}` : ""}\n`);
            return 0;
        case "show": {
            const {preset, origin} = store.get(needName());
            out.write(JSON.stringify({...preset, origin}, null, 2) + "\n");
            return 0;
        }
        case "save": {
            if (options.vectors.length === 0) throw new UserFacingError("preset save needs at least one --vector F:C");
            const layers = options.layers != null ? parseLayerRange(options.layers) : undefined;
            const vectors: PresetVector[] = options.vectors.map((spec) => {
                const {ref, coefficient} = parseVectorSpec(spec);
                // files are checked and stored so they load from any folder; names (vectors or recipes) stay names
                const vector = looksLikePath(ref) ? presetVectorRef(findVectorFile(ref)) : ref;
                return {vector, coefficient, ...(layers ? {layers: [layers.start, layers.end] as [number, number]} : {})};
            });
            const preset: Preset = {name: needName(), vectors,
                ...(options.description ? {description: options.description} : {}),
                ...(options.system ? {systemPrompt: options.system} : {}),
                ...(options.temperature != null ? {sampling: {temperature: options.temperature}} : {}),
                ...(options.history != null ? {history: options.history} : {})};
            store.save(preset);
            out.write(`Saved preset ${preset.name} to ${store.file}\n`);
            return 0;
        }
        case "delete":
            store.delete(needName());
            out.write(`Deleted preset ${name}\n`);
            return 0;
        default:
            throw new UserFacingError(`Unknown preset action "${action}"`, "use list, show, save or delete");
    }
}
