/**
 * `steer-chat read --model M --vector V (TEXT | --file F)`: how much of a vector's concept the model carries while
 * reading a text. Per layer: the mean projection of the hidden states on the vector's direction and its z-score
 * against a built-in neutral text; then the tokens that carried it most. `--json` for scripts, `--npy` for the
 * per-token × per-layer projections. `--across-layers` reads a one-layer direction (an imported one) at every layer,
 * as a check of the layer it was given: a direction should read highest near the layer it was taken from.
 */
import path from "node:path";
import type {LlamaModel, Token} from "node-llama-cpp";
import {displayQuoted, displayText} from "../displayText.js";
import {UserFacingError} from "../errors.js";
import {resolveModel} from "../engine/modelResolver.js";
import {writeFileAtomic} from "../engine/atomicWrite.js";
import {checkReplaceable, checkWritableTarget, readRegularFile, startsWith} from "../engine/userFiles.js";
import {loadModel} from "../engine/runtime.js";
import {ConceptReader, type TextReading} from "../steering/conceptReader.js";
import type {ControlVector} from "../steering/controlVector.js";
import {loadControlVector} from "../steering/loadControlVector.js";
import {encodeNpyFloat32, NPY_MAGIC} from "../steering/npyWriter.js";
import {parseLayerRange, parseVectorSpec} from "../steering/inputGrammar.js";
import {findVectorFile, vectorNameOf} from "../steering/vectorLibrary.js";
import type {CliOptions} from "./options.js";

const TOP_TOKENS = 8;

export async function runRead(options: CliOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
    if (options.model == null) throw new UserFacingError("read needs a model", "pass it with --model");
    if (options.vectors.length !== 1) throw new UserFacingError("read needs one --vector", "steer-chat read --model M --vector NAME_OR_FILE \"text\"");
    const text = textToRead(options);
    const baselineText = options.baseline != null ? readText(options.baseline, "--baseline") : undefined;
    const file = findVectorFile(parseVectorSpec(options.vectors[0]!).ref);
    const loadedVector = await loadControlVector(file);
    const ownLayer = options.acrossLayers ? singleLayerOf(loadedVector) : undefined;
    const range = options.layers != null ? parseLayerRange(options.layers) : undefined;
    const layers = range && Array.from({length: range.end - range.start + 1}, (_, i) => range.start + i);
    // --npy is written as every output is: checked before the model loads, replacing only an .npy without --force
    if (options.npy != null) await checkNpyTarget(options.npy, options.force);

    const loaded = await loadModel(await resolveModel(options.model), options);
    try {
        const tokenCount = loaded.model.tokenize(text, true).length + 1;
        const cap = Math.min(loaded.model.trainContextSize, 8192);
        if (baselineText != null && loaded.model.tokenize(baselineText, true).length + 1 > cap)
            throw new UserFacingError(`The --baseline text is longer than the ${cap} tokens a read takes`, "give --baseline a shorter text");
        const reader = ConceptReader.create(loaded, {maxTokens: Math.min(tokenCount, cap),
            ...(baselineText != null ? {baselineText} : {})});
        let reading: TextReading;
        try {
            if (ownLayer != null && ownLayer >= reader.nLayer)
                throw new UserFacingError(`The direction is for layer ${ownLayer}, beyond the model's steerable layers 1-${reader.nLayer - 1}`,
                    "import it with --layer N for a layer this model has");
            // across layers: the one direction at every steerable layer (1 to n_layer − 1), each read against its own baseline
            const vector = ownLayer == null ? loadedVector : {...loadedVector, directions: new Map(Array.from({length: reader.nLayer - 1},
                (_, i) => [i + 1, loadedVector.directions.get(ownLayer)!]))};
            reading = await reader.read(text, vector, {layers});
        } finally {
            reader.free();
        }
        if (options.npy != null) {
            checkWritableTarget(options.npy, "--npy file"); // again: the path may have changed while the model read
            writeFileAtomic(options.npy, encodeNpyFloat32([reading.matrix.nTokens, reading.matrix.layers.length], reading.matrix.values));
            err.write(`Wrote ${displayText(path.resolve(options.npy), 1000)}: ${reading.matrix.nTokens} tokens × layers ${reading.matrix.layers.join(", ")} (float32 projections)\n`);
        }
        const report: Report = {name: vectorNameOf(file), file, tokenTexts: tokenTexts(loaded.model, reading.tokens), reading,
            baseline: options.baseline != null ? displayText(path.basename(options.baseline)) : undefined,
            ...(ownLayer != null ? {ownLayer, everyLayer: layers == null} : {})};
        out.write(options.json ? JSON.stringify(readingJson(report), null, 2) + "\n" : readingTable(report));
        return 0;
    } finally {
        await loaded.dispose();
    }
}

/** --npy may replace an .npy (a read written again), but nothing else without --force; never a FIFO, device or folder. */
async function checkNpyTarget(file: string, force: boolean) {
    checkWritableTarget(file, "--npy file");
    await checkReplaceable(file, {force, kind: "a .npy file", flag: "--npy",
        isOurs: (f) => startsWith(f, NPY_MAGIC, "--npy file")});
}

/** The one layer of a vector with a single non-zero direction (what `import` writes), for --across-layers. */
function singleLayerOf(vector: ControlVector): number {
    const layers = [...vector.directions].filter(([, d]) => d.some((x) => x !== 0)).map(([layer]) => layer).sort((a, b) => a - b);
    if (layers.length !== 1)
        throw new UserFacingError(`--across-layers reads a one-layer direction, but this vector has ${layers.length === 0 ? "none" : `layers ${layers.join(", ")}`}`,
            "read it without --across-layers, or pass a vector made by `steer-chat import`");
    return layers[0]!;
}

function textToRead(options: CliOptions): string {
    if (options.prompt != null && options.file != null) throw new UserFacingError("read takes a text or --file, not both");
    const text = options.file != null ? readText(options.file, "--file") : options.prompt;
    if (text == null || text.trim() === "") throw new UserFacingError("read needs a text", 'pass it as an argument ("some text") or with --file F');
    return text;
}

/** A text file given to --file or --baseline: a regular file, as every file the user names (a FIFO would block). */
function readText(file: string, flag: string): string {
    const text = readRegularFile(file, "Text file",
        () => new UserFacingError(`File not found: ${file}`, `check the path given to ${flag}`)).toString("utf8");
    if (text.trim() === "") throw new UserFacingError(`${file} is empty`, `give ${flag} a file with some text`);
    return text;
}

/** Each token's text in place: detokenized after the tokens before it, so a word's leading space shows. */
function tokenTexts(model: LlamaModel, tokens: readonly Token[]): string[] {
    const bos = model.tokens.bos;
    const preceding = bos != null ? [bos] : [];
    // the 8 tokens before each one are context enough (and keep a long text linear)
    return tokens.map((t, i) => model.detokenize([t], false, [...preceding, ...tokens.slice(Math.max(0, i - 8), i)].slice(-8)));
}

type Report = {name: string, file: string, tokenTexts: string[], reading: TextReading,
    /** the --baseline file's name, when the z-scores are against it rather than the built-in neutral text */
    baseline?: string | undefined,
    /** --across-layers: the layer the direction was given (its file's), read here at every layer (or those of --layers) */
    ownLayer?: number,
    /** --across-layers without --layers: every steerable layer was read */
    everyLayer?: boolean};

/** The word (whitespace-delimited) each token falls in, from the concatenated token texts. */
export function wordsOfTokens(tokenTexts: readonly string[]): string[] {
    const text = tokenTexts.join("");
    let offset = 0;
    return tokenTexts.map((t) => {
        const start = offset;
        offset += t.length;
        if (t.trim() === "") return "";
        let from = Math.min(start + (t.length - t.trimStart().length), offset);
        while (from > 0 && !/\s/.test(text[from - 1]!)) from--;
        let to = Math.max(offset, from);
        while (to < text.length && !/\s/.test(text[to]!)) to++;
        return text.slice(from, to).trim();
    });
}

/** The tokens that carried the concept most: each token in its word, z averaged over its occurrences, highest first. */
export function topTokens(tokenTexts: readonly string[], tokenZ: ArrayLike<number>, count = TOP_TOKENS) {
    const words = wordsOfTokens(tokenTexts);
    const groups = new Map<string, {token: string, word: string, sum: number, occurrences: number}>();
    tokenTexts.forEach((token, i) => {
        const key = JSON.stringify([token, words[i]]);
        const group = groups.get(key) ?? {token, word: words[i]!, sum: 0, occurrences: 0};
        group.sum += tokenZ[i]!;
        group.occurrences++;
        groups.set(key, group);
    });
    return [...groups.values()].map(({token, word, sum, occurrences}) => ({token, word, z: sum / occurrences, occurrences}))
        .filter((g) => !Number.isNaN(g.z)).sort((a, b) => b.z - a.z).slice(0, count);
}

export function readingJson(report: Report) {
    const {reading} = report;
    return {
        vector: report.name,
        file: report.file,
        ...(report.baseline != null ? {baseline: report.baseline} : {}),
        ...(report.ownLayer != null ? {ownLayer: report.ownLayer} : {}),
        tokens: reading.matrix.nTokens,
        z: reading.readout.z,
        layers: reading.readout.layers.map(({layer, meanProjection, z}) => ({
            layer, meanProjection, z, baselineMean: reading.baselines.get(layer)!.mean, baselineSpread: reading.baselines.get(layer)!.spread
        })),
        perToken: report.tokenTexts.map((text, i) => ({text, z: reading.readout.tokenZ[i]!})),
        topTokens: topTokens(report.tokenTexts, reading.readout.tokenZ)
    };
}

const signed = (x: number, digits = 2) => (Number.isNaN(x) ? "n/a" : `${x >= 0 ? "+" : ""}${x.toFixed(digits)}`);

function describeToken({token, word, z, occurrences}: ReturnType<typeof topTokens>[number]) {
    const where = word !== "" && word !== token.trim() ? ` in ${displayQuoted(word)}` : "";
    return `${displayQuoted(token)}${where} ${signed(z, 1)}${occurrences > 1 ? ` ×${occurrences}` : ""}`;
}

/**
 * What --across-layers says of the layer the direction was given, next to the layer that read it highest. Against the
 * neutral text, a layer's z mixes the concept with how the text differs in kind; only a contrast text (--baseline,
 * the same text without the concept) isolates the concept, so only then is the layer judged.
 */
export function layerCheck(ownLayer: number, bestLayer: number, contrasted: boolean): string {
    if (!contrasted) return "layer check: pass --baseline F, the same kind of text without the concept, to see which layer reads the concept best";
    if (bestLayer === ownLayer) return `layer check: the concept reads highest at the direction's own layer ${ownLayer}`;
    const hint = Math.abs(bestLayer - ownLayer) === 1
        ? ` If it came from another tool, check its layer mapping: blocks.N.hook_resid_pre is layer N−1, hook_resid_post layer N (re-import with --layer ${bestLayer}).`
        : "";
    return `layer check: the concept reads highest at layer ${bestLayer}, not the direction's own layer ${ownLayer}.${hint}`;
}

export function readingTable(report: Report): string {
    const {reading} = report;
    const rows = reading.readout.layers.map(({layer, meanProjection, z}) => {
        const b = reading.baselines.get(layer)!;
        const own = layer === report.ownLayer ? "  ← its layer" : "";
        return `${String(layer).padStart(5)}  ${signed(meanProjection, 4).padStart(10)}  ${signed(z).padStart(7)}  ${signed(b.mean, 4).padStart(10)} ± ${b.spread.toFixed(4)}${own}`;
    });
    const best = reading.readout.layers.reduce((a, b) => (b.z > a.z ? b : a));
    const layersRead = reading.readout.layers.map((l) => l.layer);
    return [
        `${report.name} read on ${reading.matrix.nTokens} tokens (z-scores against ${report.baseline ?? "the built-in neutral text"})` +
            (report.ownLayer != null ? `, its layer-${report.ownLayer} direction read at ${report.everyLayer ? "every layer" : `layers ${layersRead.join(", ")}`}` : ""),
        "layer  projection        z    baseline mean ± spread",
        ...rows,
        `overall z ${signed(reading.readout.z)} · highest at layer ${best.layer} (z ${signed(best.z)})`,
        ...(report.ownLayer != null ? [layersRead.includes(report.ownLayer)
            ? layerCheck(report.ownLayer, best.layer, report.baseline != null)
            : `layer check: its own layer ${report.ownLayer} was not read (--layers); read it too to compare`] : []),
        `top tokens: ${topTokens(report.tokenTexts, reading.readout.tokenZ).map(describeToken).join("  ")}`
    ].join("\n") + "\n";
}
