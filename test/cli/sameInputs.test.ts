/**
 * One table of typed inputs, good and bad, run through the command line (argv parsed as steer-chat parses it, then
 * read as the command reads it) and through the chat's slash commands: both accept and refuse the same inputs, and
 * read the same values. A refusal's suggested fix, put in the input's place, is taken by both. Pure: no model.
 */
import {describe, expect, it} from "vitest";
import {parseCli} from "../../src/cli/options.js";
import {InputGrammarError, parseLayerRange, parseVectorStrengthSpec} from "../../src/steering/inputGrammar.js";
import {parseSlashCommand} from "../../src/ui/slashCommands.js";
import {COMMANDS} from "../../src/ui/commands/index.js";
import type {SlashCommandSpec} from "../../src/ui/commands/command.js";

type Outcome = {ok: true, value: unknown} | {ok: false, error: unknown};

function attempt(work: () => unknown): Outcome {
    try {
        return {ok: true, value: work()};
    } catch (error) {
        return {ok: false, error};
    }
}

/** the slash command's own parser, so a refusal comes back as the error it threw (parseSlashCommand keeps only its line) */
function slashParse(text: string): Outcome {
    const parsed = parseSlashCommand(text);
    const [name, action] = text.split(" ");
    const spec = (COMMANDS as unknown as readonly SlashCommandSpec[]).find((c) => c.names.includes(`${name} ${action}`) || c.names.includes(name!))!;
    const typed = spec.names.includes(`${name} ${action}`) ? `${name} ${action}` : name!;
    const direct = attempt(() => spec.parse(text.slice(typed.length).trim(), typed));
    // the direct call and the parser the chat uses agree
    if (direct.ok) expect(parsed).toEqual({kind: spec.kind, ...direct.value as object});
    else expect(parsed).toEqual({kind: "invalid", message: (direct.error as Error & {toLine(): string}).toLine()});
    return direct;
}

/** A kind of input: how the CLI and the chat each take it, and the value each reads. */
type Route = {
    cli(input: string): unknown,
    slash(input: string): unknown
};

const ROUTES: Record<string, Route> = {
    /** --vector SPEC (read by setupSteering with parseVectorStrengthSpec) | /vector add SPEC */
    spec: {
        cli: (spec) => {
            const options = parseCli(["ask", "--vector", spec, "hi"]);
            return parseVectorStrengthSpec(options.vectors[0]!);
        },
        slash: (spec) => {
            const result = slashParse(`/vector add ${spec}`);
            if (!result.ok) throw result.error;
            const {ref, coefficient, sigma} = result.value as {ref: string, coefficient?: number, sigma?: number};
            return sigma != null ? {ref, sigma} : {ref, coefficient};
        }
    },
    /** --vector happy:C or happy@Xσ | /vector set happy VALUE */
    strength: {
        cli: (value) => {
            const spec = /(?:σ|s)$/i.test(value) ? `happy@${value}` : `happy:${value}`;
            const {ref: _ref, ...strength} = parseVectorStrengthSpec(parseCli(["--vector", spec]).vectors[0]!);
            return strength;
        },
        slash: (value) => {
            const result = slashParse(`/vector set happy ${value}`);
            if (!result.ok) throw result.error;
            const {name: _name, ...strength} = result.value as {name: string};
            return strength;
        }
    },
    /** --layers A-B (with a vector) | /layers happy A-B */
    layers: {
        cli: (range) => parseLayerRange(parseCli(["--vector", "happy", "--layers", range]).layers!),
        slash: (range) => {
            const result = slashParse(`/layers happy ${range}`);
            if (!result.ok) throw result.error;
            return (result.value as {range: unknown}).range;
        }
    },
    ...Object.fromEntries((["temperature", "seed", "max-tokens"] as const).map((name) => [name, {
        cli: (value: string) => {
            const options = parseCli([`--${name}`, value]);
            return name === "max-tokens" ? options.maxTokens : options[name];
        },
        slash: (value: string) => {
            const result = slashParse(`/set ${name} ${value}`);
            if (!result.ok) throw result.error;
            return (result.value as {value: unknown}).value;
        }
    } satisfies Route])),
    /** --vector happy:A | /sweep happy A..1 0.5 (a sweep's ends are coefficients) */
    "sweep end": {
        cli: (value) => parseVectorStrengthSpec(parseCli(["--vector", `happy:${value}`]).vectors[0]!).coefficient,
        slash: (value) => {
            const result = slashParse(`/sweep happy ${value}..${value} 0.5`);
            if (!result.ok) throw result.error;
            return (result.value as {from: number}).from;
        }
    }
};

/** [route, input, the value both read (or "refused")] */
const CASES: [string, string, unknown][] = [
    ["spec", "happy", {ref: "happy", coefficient: 1}],
    ["spec", "happy:0.5", {ref: "happy", coefficient: 0.5}],
    ["spec", "happy:-2e-1", {ref: "happy", coefficient: -0.2}],
    ["spec", "tim@0.1σ", {ref: "tim", sigma: 0.1}],
    ["spec", "tim@-.5s", {ref: "tim", sigma: -0.5}],
    ["spec", "./v/x.gguf:2", {ref: "./v/x.gguf", coefficient: 2}],
    ["spec", "./v@2/x.gguf", {ref: "./v@2/x.gguf", coefficient: 1}],
    ["spec", "happy:1000", {ref: "happy", coefficient: 1000}],
    ["spec", "happy@50σ", {ref: "happy", sigma: 50}],
    ["spec", "happy:0x10", "refused"],
    ["spec", "happy:abc", "refused"],
    ["spec", "happy:1e308", "refused"],
    ["spec", "happy:Infinity", "refused"],
    ["spec", "happy@80σ", "refused"],
    ["spec", "happy@0x10σ", "refused"],
    ["spec", "happy@0.5", "refused"],
    ["spec", "sue:0.5@0.1σ", "refused"],
    ["spec", "sue@0.1σ:0.5", "refused"],
    ["strength", "0.5", {coefficient: 0.5}],
    ["strength", "-1000", {coefficient: -1000}],
    ["strength", ".25", {coefficient: 0.25}],
    ["strength", "0.5σ", {sigma: 0.5}],
    ["strength", "-1.25s", {sigma: -1.25}],
    ["strength", "80σ", "refused"],
    ["strength", "0x10", "refused"],
    ["strength", "1e308", "refused"],
    ["strength", "1001", "refused"],
    ["strength", "abc", "refused"],
    ["strength", "Infinity", "refused"],
    ["layers", "2-5", {start: 2, end: 5}],
    ["layers", "2..5", {start: 2, end: 5}],
    ["layers", "0-3", {start: 0, end: 3}],
    ["layers", "2.5-3", "refused"],
    ["layers", "0x1-3", "refused"],
    ["layers", "1e1-20", "refused"],
    ["layers", "5-2", "refused"],
    ["layers", "two-five", "refused"],
    ["temperature", "0", 0],
    ["temperature", "0.7", 0.7],
    ["temperature", "1e-1", 0.1],
    ["temperature", "-1", "refused"],
    ["temperature", "0x10", "refused"],
    ["temperature", "Infinity", "refused"],
    ["temperature", "abc", "refused"],
    ["seed", "42", 42],
    ["seed", "0", 0],
    ["seed", "4294967295", 4294967295],
    ["seed", "random", undefined],
    ["seed", "2.5", "refused"],
    ["seed", "1e3", "refused"],
    ["seed", "0x10", "refused"],
    ["seed", "4294967296", "refused"],
    ["max-tokens", "64", 64],
    ["max-tokens", "0", "refused"],
    ["max-tokens", "1e3", "refused"],
    ["max-tokens", "0x40", "refused"],
    ["sweep end", "-1", -1],
    ["sweep end", "0.5", 0.5],
    ["sweep end", "0x10", "refused"],
    ["sweep end", "2000", "refused"]
];

describe("the CLI and the chat take the same inputs and read the same values", () => {
    for (const [route, input, expected] of CASES)
        it(`${route} ${JSON.stringify(input)} is ${expected === "refused" ? "refused" : "taken"} by both`, () => {
            const {cli, slash} = ROUTES[route]!;
            const byCli = attempt(() => cli(input));
            const bySlash = attempt(() => slash(input));
            if (expected !== "refused") {
                expect(byCli).toEqual({ok: true, value: expected});
                expect(bySlash).toEqual({ok: true, value: expected});
                return;
            }
            expect(byCli.ok, "the CLI took it").toBe(false);
            expect(bySlash.ok, "the chat took it").toBe(false);
            for (const refused of [byCli, bySlash]) {
                const error = (refused as {error: unknown}).error;
                // one line naming the input, and a fix
                expect(error).toBeInstanceOf(InputGrammarError);
                expect((error as Error).message).toContain(input);
                expect((error as InputGrammarError).hint).toBeTruthy();
            }
            // the chat's suggested fix, in the input's place, is taken by both
            const fixed = ((bySlash as {error: unknown}).error as InputGrammarError).example;
            expect(attempt(() => cli(fixed)).ok, `the CLI refused the fix ${fixed}`).toBe(true);
            expect(attempt(() => slash(fixed)).ok, `the chat refused the fix ${fixed}`).toBe(true);
        });
});

describe("import --layer takes a layer as /layers does: decimal digits, >= 1", () => {
    const imported = (layer: string) => parseCli(["import", "d.npy", "--layer", layer, "--output", "v.gguf"]).layer;

    it("reads 6 as 6, and refuses 2.5, 1e21, 0x10 and 0 naming the flag and the input, with a fix that parses", () => {
        expect(imported("6")).toBe(6);
        for (const bad of ["2.5", "1e21", "0x10", "0", "-1", ""]) {
            const refused = attempt(() => imported(bad));
            expect(refused.ok, bad).toBe(false);
            const error = (refused as {error: InputGrammarError}).error;
            expect(error).toBeInstanceOf(InputGrammarError);
            expect(error.toLine()).toBe(`Invalid layer for --layer: "${bad}" — a layer is a whole number >= 1 in decimal digits, e.g. 6`);
            expect(imported(error.example)).toBe(6);
        }
    });
});
