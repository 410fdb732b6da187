/**
 * A raw steering direction for one layer, from NumPy's .npy (float32/float64, shape (n,) or (1, n)), a JSON array,
 * or a Neuronpedia-style JSON export (an object holding the vector under `vector`, `values`, `direction` or
 * `steering_vector`, and optionally where it was read: `hook_name` like "blocks.6.hook_resid_pre", or a layer under
 * `layer` / `hook_layer` (a number, or a Neuronpedia source like "6-res-jb") with `hook_type`). Pure.
 *
 * Layers follow llama.cpp: `direction.N` is added to the output of block N (0-based, as TransformerLens counts
 * blocks). So blocks.N.hook_resid_post is layer N, and blocks.N.hook_resid_pre — the input of block N, which is
 * the output of block N−1 — is layer N−1. Getting this wrong steers one block off.
 */
export type ImportedDirection = {
    values: Float32Array,
    layer?: number,
    /** how the layer was read from the file, to show the user (it decides where the vector acts) */
    layerSource?: string,
    /** why the file's own layer cannot be used (an explicit --layer still can) */
    layerProblem?: string
};

export function parseDirection(file: string, bytes: Uint8Array): ImportedDirection {
    const fail = (problem: string) => new Error(`Cannot import ${file}: ${problem}`);
    let result: ImportedDirection;
    if (bytes[0] === 0x93 && String.fromCharCode(...bytes.subarray(1, 6)) === "NUMPY") result = {values: parseNpy(bytes, fail)};
    else {
        let json: unknown;
        try {
            json = JSON.parse(new TextDecoder().decode(bytes));
        } catch {
            throw fail("it is neither a .npy file nor JSON");
        }
        result = parseJsonDirection(json, fail);
    }
    if (result.values.length === 0) throw fail("the direction is empty");
    const bad = result.values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw fail(`value ${bad} is not a finite number`);
    return result;
}

function parseJsonDirection(json: unknown, fail: (p: string) => Error): ImportedDirection {
    const toValues = (value: unknown): Float32Array => {
        const flat = Array.isArray(value) && value.length === 1 && Array.isArray(value[0]) ? value[0] : value;
        if (!Array.isArray(flat) || !flat.every((x) => typeof x === "number")) throw fail("expected an array of numbers");
        return Float32Array.from(flat as number[]);
    };
    if (Array.isArray(json)) return {values: toValues(json)};
    if (json != null && typeof json === "object") {
        const obj = json as Record<string, unknown>;
        const key = ["vector", "values", "direction", "steering_vector"].find((k) => k in obj);
        if (key == null) throw fail("the JSON object has no vector, values, direction or steering_vector field");
        return {values: toValues(obj[key]), ...layerOf(obj)};
    }
    throw fail("expected a JSON array or object");
}

function layerOf(obj: Record<string, unknown>): {layer?: number, layerSource?: string, layerProblem?: string} {
    const fromHook = (block: number, point: string, source: string) => {
        if (point === "mid") return {layerProblem: `${source} is inside block ${block}; llama.cpp adds control vectors only between blocks (resid_pre / resid_post)`};
        const layer = point === "pre" ? block - 1 : block;
        if (layer < 1) return {layerProblem: `${source} is at or before block 0's output; llama.cpp steers from block 1's output on`};
        return {layer, layerSource: `${source} → layer ${layer} (the output of block ${layer})`};
    };
    const hookName = typeof obj.hook_name === "string" ? obj.hook_name : typeof obj.hook_point === "string" ? obj.hook_point : undefined;
    const named = hookName != null ? /blocks\.(\d+)\.hook_resid_(pre|post|mid)\b/.exec(hookName) : null;
    if (named) return fromHook(Number(named[1]), named[2]!, hookName!);

    const layerValue = obj.layer ?? obj.hook_layer;
    const block = typeof layerValue === "number" ? layerValue
        : typeof layerValue === "string" && /^\d+(?:-|$)/.test(layerValue) ? Number(/^\d+/.exec(layerValue)![0]) : undefined;
    if (block == null) return {};
    // a layer is a whole block number, as --layer takes it (inputGrammar): 2.5 or 1e21 is no layer to guess from
    if (!Number.isSafeInteger(block) || block < 0)
        return {layerProblem: `its layer ${JSON.stringify(layerValue)} is not a whole block number`};
    const hookType = typeof obj.hook_type === "string" ? /resid_(pre|post|mid)/.exec(obj.hook_type)?.[1] : undefined;
    if (hookType != null) return fromHook(block, hookType, `${JSON.stringify(layerValue)} with hook_type ${obj.hook_type}`);
    return {layer: block, layerSource: `layer ${JSON.stringify(layerValue)} taken as the output of block ${block} (no hook named; pass --layer to change it)`};
}

function parseNpy(bytes: Uint8Array, fail: (p: string) => Error): Float32Array {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const major = bytes[6];
    if (major !== 1 && major !== 2 && major !== 3) throw fail(`unsupported .npy format version ${major ?? "(none)"}`);
    const headerStart = major === 1 ? 10 : 12;
    if (bytes.byteLength < headerStart) throw fail(`it is ${bytes.byteLength} bytes, shorter than a .npy header (truncated?)`);
    const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
    if (headerStart + headerLength > bytes.byteLength) throw fail("its .npy header runs past the end of the file (truncated?)");
    const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLength));
    const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
    const shape = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
    if (/'fortran_order':\s*True/.test(header)) throw fail("Fortran-ordered arrays are not supported");
    const parts = (shape ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
    // each dimension a plain decimal integer, as NumPy writes them: `(63.5,)`, `(1e3,)` or `(0x10,)` is no shape
    if (parts.some((s) => !/^\d{1,9}$/.test(s))) throw fail(`its shape (${shape}) is not a list of whole numbers`);
    const dims = parts.map(Number);
    const count = dims.reduce((a, b) => a * b, 1);
    if (dims.length === 0 || dims.length > 2 || (dims.length === 2 && dims[0] !== 1)) throw fail(`expected shape (n,) or (1, n), got (${shape})`);
    const dataStart = headerStart + headerLength;
    const size = descr === "<f4" ? 4 : descr === "<f8" ? 8 : 0;
    if (size === 0) throw fail(`unsupported dtype ${descr} (use little-endian float32 or float64)`);
    if (dataStart + count * size > bytes.byteLength) throw fail("the file is shorter than its shape says (truncated?)");
    return Float32Array.from({length: count}, (_, i) => size === 4
        ? view.getFloat32(dataStart + i * 4, true)
        : view.getFloat64(dataStart + i * 8, true));
}
