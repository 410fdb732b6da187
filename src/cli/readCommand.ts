/**
 * `steer-chat read --model M --vector V (TEXT | --file F)`: how much of a vector's concept the model carries while
 * reading a text. Per layer: the mean projection of the hidden states on the vector's direction and its z-score
 * against a built-in neutral text; then the tokens that carried it most. `--json` for scripts, `--npy` for the
 * per-token × per-layer projections.
 */
import {readFileSync, writeFileSync} from "node:fs";
import path from "node:path";
import type {LlamaModel, Token} from "node-llama-cpp";
import {UserFacingError} from "../errors.js";
import {resolveModel} from "../engine/modelResolver.js";
import {loadModel} from "../engine/runtime.js";
import {ConceptReader, type TextReading} from "../steering/conceptReader.js";
import {loadControlVector} from "../steering/loadControlVector.js";
import {encodeNpyFloat32} from "../steering/npyWriter.js";
import {parseLayerRange, parseVectorSpec} from "../steering/steeringState.js";
import {findVectorFile, vectorNameOf} from "../steering/vectorLibrary.js";
import type {CliOptions} from "./options.js";

const TOP_TOKENS = 8;

export async function runRead(options: CliOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
    if (options.model == null) throw new UserFacingError("read needs a model", "pass it with --model");
    if (options.vectors.length !== 1) throw new UserFacingError("read needs one --vector", "steer-chat read --model M --vector NAME_OR_FILE \"text\"");
    const text = textToRead(options);
    const file = findVectorFile(parseVectorSpec(options.vectors[0]!).ref);
    const vector = await loadControlVector(file);
    const range = options.layers != null ? parseLayerRange(options.layers) : undefined;
    const layers = range && Array.from({length: range.end - range.start + 1}, (_, i) => range.start + i);

    const loaded = await loadModel(await resolveModel(options.model), options);
    try {
        const tokenCount = loaded.model.tokenize(text, true).length + 1;
        const reader = ConceptReader.create(loaded, {maxTokens: Math.min(tokenCount, Math.min(loaded.model.trainContextSize, 8192))});
        let reading: TextReading;
        try {
            reading = await reader.read(text, vector, {layers});
        } finally {
            reader.free();
        }
        if (options.npy != null) {
            writeFileSync(options.npy, encodeNpyFloat32([reading.matrix.nTokens, reading.matrix.layers.length], reading.matrix.values));
            err.write(`Wrote ${path.resolve(options.npy)}: ${reading.matrix.nTokens} tokens × layers ${reading.matrix.layers.join(", ")} (float32 projections)\n`);
        }
        const report = {name: vectorNameOf(file), file, tokenTexts: tokenTexts(loaded.model, reading.tokens), reading};
        out.write(options.json ? JSON.stringify(readingJson(report), null, 2) + "\n" : readingTable(report));
        return 0;
    } finally {
        await loaded.dispose();
    }
}

function textToRead(options: CliOptions): string {
    if (options.prompt != null && options.file != null) throw new UserFacingError("read takes a text or --file, not both");
    let text = options.prompt;
    if (options.file != null) {
        try {
            text = readFileSync(options.file, "utf8");
        } catch {
            throw new UserFacingError(`File not found: ${options.file}`, "check the path given to --file");
        }
    }
    if (text == null || text.trim() === "") throw new UserFacingError("read needs a text", 'pass it as an argument ("some text") or with --file F');
    return text;
}

/** Each token's text in place: detokenized after the tokens before it, so a word's leading space shows. */
function tokenTexts(model: LlamaModel, tokens: readonly Token[]): string[] {
    const bos = model.tokens.bos;
    const preceding = bos != null ? [bos] : [];
    // the 8 tokens before each one are context enough (and keep a long text linear)
    return tokens.map((t, i) => model.detokenize([t], false, [...preceding, ...tokens.slice(Math.max(0, i - 8), i)].slice(-8)));
}

type Report = {name: string, file: string, tokenTexts: string[], reading: TextReading};

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
    const where = word !== "" && word !== token.trim() ? ` in ${JSON.stringify(word)}` : "";
    return `${JSON.stringify(token)}${where} ${signed(z, 1)}${occurrences > 1 ? ` ×${occurrences}` : ""}`;
}

export function readingTable(report: Report): string {
    const {reading} = report;
    const rows = reading.readout.layers.map(({layer, meanProjection, z}) => {
        const b = reading.baselines.get(layer)!;
        return `${String(layer).padStart(5)}  ${signed(meanProjection, 4).padStart(10)}  ${signed(z).padStart(7)}  ${signed(b.mean, 4).padStart(10)} ± ${b.spread.toFixed(4)}`;
    });
    const best = reading.readout.layers.reduce((a, b) => (b.z > a.z ? b : a));
    return [
        `${report.name} read on ${reading.matrix.nTokens} tokens (z-scores against the built-in neutral text)`,
        "layer  projection        z    baseline mean ± spread",
        ...rows,
        `overall z ${signed(reading.readout.z)} · highest at layer ${best.layer} (z ${signed(best.z)})`,
        `top tokens: ${topTokens(report.tokenTexts, reading.readout.tokenZ).map(describeToken).join("  ")}`
    ].join("\n") + "\n";
}
