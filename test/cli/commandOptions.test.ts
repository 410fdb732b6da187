/**
 * Each command takes its own options: one it does not take is refused naming the command and the option (exit 2),
 * `steer-chat COMMAND --help` lists exactly what it takes, and the README's example commands parse. Pure, but for
 * one run of the real binary for the exit code.
 */
import {execFile} from "node:child_process";
import {readFileSync} from "node:fs";
import path from "node:path";
import {promisify} from "node:util";
import {describe, expect, it} from "vitest";
import {COMMAND_OPTIONS, commandHelpText, type CliCommand, helpFor, helpText, OPTIONS, parseCli} from "../../src/cli/options.js";
import {UserFacingError} from "../../src/errors.js";
import {repoRoot, tempDir} from "../helpers/steeringTestKit.js";

const COMMANDS = Object.keys(COMMAND_OPTIONS) as CliCommand[];

/** the words a command needs besides its options */
const POSITIONALS: Record<CliCommand, string[]> = {
    chat: [], ask: ["hi"], vectors: [], preset: ["list"], train: [], import: ["d.npy"], read: ["some text"], calibrate: [], serve: []
};

/** a value each string option takes */
const VALUES: Record<string, string> = {
    model: "m.gguf", system: "be brief", temperature: "0.5", "max-tokens": "8", seed: "3", vector: "happy:0.5", layers: "1-2",
    preset: "calm", description: "calm", positive: "p.txt", negative: "n.txt", recipe: "formal", method: "pca", positions: "all",
    scale: "typical", output: "v.gguf", layer: "2", describe: "speaks like a pirate", when: "sue>0.5", "steer-code": "off", file: "t.txt", npy: "x.npy", baseline: "b.txt", steer: "reply", "max-kl": "0.5",
    "max-repetition": "0.3", "max-sigma": "1", history: "keep", host: "127.0.0.1", port: "0", "api-key": "k", queue: "4", parallel: "2",
    "context-size": "512", threads: "1", gpu: "false"
};

const argvFor = (name: string) => (OPTIONS as Record<string, {type: string}>)[name]!.type === "string" ? [`--${name}`, VALUES[name]!] : [`--${name}`];

/** the --flags a help text's Options section lists */
function listedOptions(help: string): string[] {
    const section = help.slice(help.indexOf("Options"));
    return [...section.matchAll(/^ {2}(?:-\w, | {4})--([\w-]+)/gm)].map((m) => m[1]!);
}

describe("each command takes its own options", () => {
    it("ask --npy x --positive p --max-kl 3 hi is refused naming ask and --npy", () => {
        expect(() => parseCli(["ask", "--npy", "x", "--positive", "p", "--max-kl", "3", "hi"]))
            .toThrow(new UserFacingError("ask does not take --npy", "run steer-chat ask --help to see the options it takes"));
    });

    for (const command of COMMANDS)
        it(`${command}: every option it takes parses, every other is refused naming ${command} and the option`, () => {
            const head = command === "chat" ? [] : [command];
            const taken = COMMAND_OPTIONS[command] as readonly string[];
            for (const name of Object.keys(OPTIONS)) {
                const argv = [...head, ...argvFor(name), ...POSITIONALS[command]];
                if (taken.includes(name)) expect(() => parseCli(argv), argv.join(" ")).not.toThrow();
                else expect(() => parseCli(argv), argv.join(" ")).toThrow(`${command} does not take --${name}`);
            }
        });

    for (const command of COMMANDS)
        it(`${command} --help lists exactly the options ${command} takes`, () => {
            const argv = command === "chat" ? ["chat", "--help"] : [command, "--help"];
            const help = helpFor(argv, parseCli(argv), "1.0");
            expect(help).toBe(commandHelpText(command, "1.0"));
            expect(listedOptions(help).sort()).toEqual([...COMMAND_OPTIONS[command]].sort());
        });

    it("steer-chat --help alone still lists every command and every option", () => {
        const help = helpFor(["--help"], parseCli(["--help"]), "1.0");
        expect(help).toBe(helpText("1.0"));
        expect(listedOptions(help).sort()).toEqual(Object.keys(OPTIONS).sort());
        for (const command of COMMANDS.filter((c) => c !== "chat")) expect(help).toContain(`steer-chat ${command}`);
    });

    it("the binary exits 2 with one line for an option the command does not take", async () => {
        const env = {...process.env, STEER_CHAT_CONFIG_DIR: tempDir()};
        const result = await promisify(execFile)(process.execPath, [path.join(repoRoot, "bin", "steer-chat.js"), "import", "d.npy",
            "--output", "v.gguf", "--model", "m.gguf"], {cwd: repoRoot, env}).then(() => ({code: 0, stderr: ""}), (e: {code: number, stderr: string}) => e);
        expect(result.code).toBe(2);
        expect(result.stderr).toBe("steer-chat: import does not take --model — run steer-chat import --help to see the options it takes\n");
    });
});

/** the words of a shell command line: "…" and '…' quoted, nothing else interpreted */
function shellWords(line: string): string[] {
    return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/** a synopsis without its [optional parts], nested ones too */
function withoutOptionalParts(text: string): string {
    let out = text;
    for (let before = ""; before !== out;) [before, out] = [out, out.replace(/\[[^[\]]*\]/g, "")];
    return out;
}

describe("the README's example commands parse", () => {
    const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8");
    const blocks = [...readme.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
    const commands = blocks.flatMap((block) => block.split("\n"))
        .map((line) => /(?:^|^\$ |\| )steer-chat((?: [^#]*)?)(?:#.*)?$/.exec(line)?.[1])
        // output lines (steer-chat · model, steer-chat serve: listening) are not commands
        .filter((rest): rest is string => rest != null && !/^ (?:·|\w+:)/.test(rest))
        // [--optional parts] of a synopsis; a trailing & (in the background)
        .map((rest) => shellWords(withoutOptionalParts(rest).replace(/&\s*$/, "")))
        // and those in the text with options (`steer-chat ask --raw`; a bare `steer-chat import` names the command)
        .concat([...readme.matchAll(/`steer-chat ([^`]*--[^`]*)`/g)].map((m) => shellWords(withoutOptionalParts(m[1]!))));

    it("finds the examples", () => expect(commands.length).toBeGreaterThan(20));

    for (const argv of commands)
        it(`steer-chat ${argv.join(" ")}`, () => expect(() => parseCli(argv)).not.toThrow());
});
