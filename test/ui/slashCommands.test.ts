/** parseSlashCommand and isSlashCommand: pure parsing of what is typed at the prompt. */
import os from "node:os";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {isSlashCommand, parseSlashCommand, SLASH_COMMAND_HELP} from "../../src/ui/slashCommands.js";

describe("isSlashCommand", () => {
    it("is true for text starting with / (after leading spaces) and false otherwise", () => {
        expect(isSlashCommand("/help")).toBe(true);
        expect(isSlashCommand("   /clear")).toBe(true);
        expect(isSlashCommand("hello /help")).toBe(false);
        expect(isSlashCommand("")).toBe(false);
        expect(isSlashCommand("a/b")).toBe(false);
    });
});

describe("parseSlashCommand", () => {
    it("parses the basic commands, their aliases, any case, with surrounding spaces", () => {
        expect(parseSlashCommand("/help")).toEqual({kind: "help"});
        expect(parseSlashCommand("/?")).toEqual({kind: "help"});
        expect(parseSlashCommand("/HELP")).toEqual({kind: "help"});
        expect(parseSlashCommand("  /clear  ")).toEqual({kind: "clear"});
        expect(parseSlashCommand("/exit")).toEqual({kind: "exit"});
        expect(parseSlashCommand("/quit")).toEqual({kind: "exit"});
        expect(parseSlashCommand("/regen")).toEqual({kind: "regen"});
        expect(parseSlashCommand("/compare")).toEqual({kind: "compare"});
        expect(parseSlashCommand("/steering")).toEqual({kind: "steering"});
    });

    it("/system keeps the rest of the line (inner spaces and case kept, ends trimmed); alone it shows; --clear clears", () => {
        expect(parseSlashCommand("/system You are   a Pirate. ")).toEqual({kind: "system", text: "You are   a Pirate."});
        expect(parseSlashCommand("/System\tterse")).toEqual({kind: "system", text: "terse"});
        expect(parseSlashCommand("/system")).toEqual({kind: "system", text: undefined});
        expect(parseSlashCommand("/system    ")).toEqual({kind: "system", text: undefined});
        expect(parseSlashCommand("/system --clear")).toEqual({kind: "system", text: ""});
    });

    it("unknown commands report their (lower-cased) name", () => {
        expect(parseSlashCommand("/foo")).toEqual({kind: "unknown", name: "/foo"});
        expect(parseSlashCommand("/Foo bar baz")).toEqual({kind: "unknown", name: "/foo"});
        expect(parseSlashCommand("/")).toEqual({kind: "unknown", name: "/"});
        // a command name must be a whole word: /helpme is not /help
        expect(parseSlashCommand("/helpme")).toEqual({kind: "unknown", name: "/helpme"});
    });

    it("/vector add|set|off|on|rm", () => {
        expect(parseSlashCommand("/vector add happy")).toEqual({kind: "vectorAdd", ref: "happy", coefficient: 1});
        expect(parseSlashCommand("/vector add happy:-0.5")).toEqual({kind: "vectorAdd", ref: "happy", coefficient: -0.5});
        expect(parseSlashCommand("/vector add ./v/x.gguf:2")).toEqual({kind: "vectorAdd", ref: "./v/x.gguf", coefficient: 2});
        expect(parseSlashCommand("/vector set happy 0.3")).toEqual({kind: "vectorSet", name: "happy", coefficient: 0.3});
        expect(parseSlashCommand("/vector set happy 0.5σ")).toEqual({kind: "vectorSet", name: "happy", sigma: 0.5});
        expect(parseSlashCommand("/vector set happy -.25s")).toEqual({kind: "vectorSet", name: "happy", sigma: -0.25});
        expect(parseSlashCommand("/vector off happy")).toEqual({kind: "vectorEnable", name: "happy", enabled: false});
        expect(parseSlashCommand("/vector on happy")).toEqual({kind: "vectorEnable", name: "happy", enabled: true});
        expect(parseSlashCommand("/vector rm happy")).toEqual({kind: "vectorRemove", name: "happy"});
        expect(parseSlashCommand("/vector remove happy")).toEqual({kind: "vectorRemove", name: "happy"});
    });

    it("/vector with missing or bad parts is invalid with a usage message", () => {
        expect(parseSlashCommand("/vector set happy lots")).toEqual({kind: "invalid",
            message: 'Coefficient "lots" for happy is not a number — use a number from -1000 to 1000, e.g. 0.5'});
        for (const bad of ["/vector", "/vector add", "/vector set happy", "/vector set happy 1 2", "/vector add a b"]) {
            const parsed = parseSlashCommand(bad);
            expect(parsed.kind, bad).toBe("invalid");
            expect((parsed as {message: string}).message, bad).toMatch(/usage|\/vector/);
        }
        expect(parseSlashCommand("/vector frob happy")).toEqual({kind: "invalid", message: expect.stringContaining("frob")});
    });

    it("coefficients beyond the bound are refused with one line naming it (/vector set, /vector add, /sweep)", () => {
        expect(parseSlashCommand("/vector set happy 1e308")).toEqual({kind: "invalid",
            message: 'Coefficient "1e308" for happy is out of range — use a number from -1000 to 1000, e.g. 0.5'});
        expect(parseSlashCommand("/vector set happy -1000")).toEqual({kind: "vectorSet", name: "happy", coefficient: -1000});
        expect(parseSlashCommand("/vector set happy Infinity")).toEqual({kind: "invalid", message: expect.stringMatching(/^Coefficient "Infinity" for happy is not a number/)});
        expect(parseSlashCommand("/vector add happy:3e38")).toEqual({kind: "invalid", message: expect.stringMatching(/^Coefficient "3e38" in "happy:3e38" is out of range/)});
        expect(parseSlashCommand("/vector add happy:abc")).toEqual({kind: "invalid", message: expect.stringMatching(/^Coefficient "abc" in "happy:abc" is not a number/)});
        expect(parseSlashCommand("/sweep happy 0..2000 100")).toEqual({kind: "invalid",
            message: 'Coefficient "2000" for happy is out of range — use a number from -1000 to 1000, e.g. 0.5'});
        // as --vector reads them: no hex read as 16, no strength past ±50σ
        expect(parseSlashCommand("/vector set happy 0x10")).toEqual({kind: "invalid", message: expect.stringMatching(/^Coefficient "0x10" for happy is not a number/)});
        expect(parseSlashCommand("/vector set happy 80σ")).toEqual({kind: "invalid", message: expect.stringMatching(/^Strength "80σ" for happy is out of range/)});
        expect(parseSlashCommand("/vector add tim@0.1σ")).toEqual({kind: "vectorAdd", ref: "tim", sigma: 0.1});
    });

    it("/set NAME VALUE for the sampling, checked as the flags are; /settings", () => {
        expect(parseSlashCommand("/set temperature 0.2")).toEqual({kind: "set", name: "temperature", value: 0.2});
        expect(parseSlashCommand("/set top-k 5")).toEqual({kind: "set", name: "top-k", value: 5});
        expect(parseSlashCommand("/set top-p 1")).toEqual({kind: "set", name: "top-p", value: 1});
        expect(parseSlashCommand("/set min-p 0")).toEqual({kind: "set", name: "min-p", value: 0});
        expect(parseSlashCommand("/set seed 42")).toEqual({kind: "set", name: "seed", value: 42});
        expect(parseSlashCommand("/set seed random")).toEqual({kind: "set", name: "seed", value: undefined});
        expect(parseSlashCommand("/set max-tokens 64")).toEqual({kind: "set", name: "max-tokens", value: 64});
        expect(parseSlashCommand("/set temperature -1")).toEqual({kind: "invalid", message: 'Invalid value for temperature: "-1" — use a number >= 0, e.g. 0.8'});
        expect(parseSlashCommand("/set top-p 1.5")).toEqual({kind: "invalid", message: 'Invalid value for top-p: "1.5" — use a number >= 0 and <= 1, e.g. 0.95'});
        expect(parseSlashCommand("/set top-k 2.5")).toEqual({kind: "invalid", message: 'Invalid value for top-k: "2.5" — use a whole number >= 0, e.g. 40'});
        expect(parseSlashCommand("/set max-tokens 0")).toEqual({kind: "invalid", message: 'Invalid value for max-tokens: "0" — use a whole number >= 1, e.g. 256'});
        for (const bad of ["/set", "/set temperature", "/set colour 1", "/set constructor 1", "/set temperature 1 2"])
            expect(parseSlashCommand(bad)).toEqual({kind: "invalid", message: expect.stringContaining("usage: /set NAME VALUE")});
        expect(parseSlashCommand("/settings")).toEqual({kind: "settings"});
    });

    it("/layers NAME A-B | all", () => {
        expect(parseSlashCommand("/layers happy 2-5")).toEqual({kind: "layers", name: "happy", range: {start: 2, end: 5}});
        expect(parseSlashCommand("/layers happy all")).toEqual({kind: "layers", name: "happy", range: undefined});
        expect(parseSlashCommand("/layers happy").kind).toBe("invalid");
        expect(parseSlashCommand("/layers happy two-five")).toEqual({kind: "invalid", message: expect.stringContaining("two-five")});
    });

    it("/preset save NAME [DESCRIPTION], /preset load NAME and /preset list", () => {
        expect(parseSlashCommand("/preset save calm")).toEqual({kind: "presetSave", name: "calm"});
        expect(parseSlashCommand("/preset save calm  a quiet,  kind voice ")).toEqual({kind: "presetSave", name: "calm", description: "a quiet,  kind voice"});
        expect(parseSlashCommand("/preset load calm")).toEqual({kind: "presetLoad", name: "calm"});
        expect(parseSlashCommand("/preset list")).toEqual({kind: "presetList"});
        expect(parseSlashCommand("/preset save").kind).toBe("invalid");
        expect(parseSlashCommand("/preset").kind).toBe("invalid");
    });

    it("/steer off only", () => {
        expect(parseSlashCommand("/steer off")).toEqual({kind: "steerOff"});
        expect(parseSlashCommand("/steer on").kind).toBe("invalid");
    });

    it("/sweep NAME A..B STEP, with a limit on the number of replies", () => {
        expect(parseSlashCommand("/sweep happy -1..1 0.5")).toEqual({kind: "sweep", name: "happy", from: -1, to: 1, step: 0.5, control: false});
        expect(parseSlashCommand("/sweep happy -1..1 0.5 control")).toEqual({kind: "sweep", name: "happy", from: -1, to: 1, step: 0.5, control: true});
        expect(parseSlashCommand("/sweep happy -2..2 0.1 control")).toEqual({kind: "invalid", message: expect.stringContaining("41")}); // 82 replies
        expect(parseSlashCommand("/sweep happy -1..1 0.5 more").kind).toBe("invalid");
        expect(parseSlashCommand("/sweep happy 0.5..1.5 0.25")).toEqual({kind: "sweep", name: "happy", from: 0.5, to: 1.5, step: 0.25, control: false});
        expect(parseSlashCommand("/sweep happy 2..-2 1")).toEqual({kind: "sweep", name: "happy", from: 2, to: -2, step: 1, control: false});
        expect(parseSlashCommand("/sweep happy -2..2 0.1").kind).toBe("sweep"); // exactly 41 replies is allowed
        expect(parseSlashCommand("/sweep happy -10..10 0.1")).toEqual({kind: "invalid", message: expect.stringContaining("41")});
        for (const bad of ["/sweep happy", "/sweep happy 1-2 0.5", "/sweep happy 1..2 0", "/sweep happy 1..2 -1", "/sweep happy 1..2"])
            expect(parseSlashCommand(bad).kind, bad).toBe("invalid");
    });

    it("/save FILE and /train RECIPE need their argument", () => {
        expect(parseSlashCommand("/save chat.md")).toEqual({kind: "save", file: "chat.md", force: false});
        expect(parseSlashCommand("/save my chat.md --force")).toEqual({kind: "save", file: "my chat.md", force: true});
        expect(parseSlashCommand("/save --force").kind).toBe("invalid");
        // typed in the chat, no shell expands ~
        expect(parseSlashCommand("/save ~/t.md")).toEqual({kind: "save", file: path.join(os.homedir(), "t.md"), force: false});
        expect(parseSlashCommand("/save ~/notes/t.md --force")).toEqual({kind: "save", file: path.join(os.homedir(), "notes", "t.md"), force: true});
        expect(parseSlashCommand("/save a~/t.md")).toEqual({kind: "save", file: "a~/t.md", force: false});
        expect(parseSlashCommand("/vector add ~/v/joy.gguf:0.5")).toEqual({kind: "vectorAdd", ref: path.join(os.homedir(), "v", "joy.gguf"), coefficient: 0.5});
        expect(parseSlashCommand("/save")).toEqual({kind: "invalid", message: expect.stringContaining("/save")});
        expect(parseSlashCommand("/train happy")).toEqual({kind: "train", name: "happy"});
        expect(parseSlashCommand("/train").kind).toBe("invalid");
    });

    it("/history shows the policy, /history keep|reeval sets it, anything else is invalid; /reeval", () => {
        expect(parseSlashCommand("/history")).toEqual({kind: "history"});
        expect(parseSlashCommand("/history keep")).toEqual({kind: "history", policy: "keep"});
        expect(parseSlashCommand("/History reeval ")).toEqual({kind: "history", policy: "reeval"});
        expect(parseSlashCommand("/history always")).toEqual({kind: "invalid", message: "usage: /history reeval|keep"});
        expect(parseSlashCommand("/reeval")).toEqual({kind: "reeval"});
    });

    it("/steer takes the policies and the schedules first:N and from:N", () => {
        expect(parseSlashCommand("/steer reply")).toEqual({kind: "steerPolicy", policy: "reply"});
        expect(parseSlashCommand("/steer all")).toEqual({kind: "steerPolicy", policy: "all"});
        expect(parseSlashCommand("/steer first:8")).toEqual({kind: "steerPolicy", policy: "first:8"});
        expect(parseSlashCommand("/steer from:3")).toEqual({kind: "steerPolicy", policy: "from:3"});
        expect(parseSlashCommand("/steer from:0")).toEqual({kind: "steerPolicy", policy: "reply"});
        for (const bad of ["/steer first:0", "/steer first:x", "/steer sometimes", "/steer", "/steer reply now"])
            expect(parseSlashCommand(bad).kind, bad).toBe("invalid");
        expect(parseSlashCommand("/steer off").kind).toBe("steerOff");
    });

    it("/steer code off|on and /when NAME>Z|NAME<Z|off (the steering gates)", () => {
        expect(parseSlashCommand("/steer code off")).toEqual({kind: "steerCode", code: "off"});
        expect(parseSlashCommand("/steer code on")).toEqual({kind: "steerCode", code: "on"});
        expect(parseSlashCommand("/steer code maybe").kind).toBe("invalid");
        expect(parseSlashCommand("/steer reply")).toEqual({kind: "steerPolicy", policy: "reply"});
        expect(parseSlashCommand("/when sue>0.5")).toEqual({kind: "when", condition: {ref: "sue", op: ">", threshold: 0.5}});
        expect(parseSlashCommand("/when ./v.gguf < -1")).toEqual({kind: "when", condition: {ref: "./v.gguf", op: "<", threshold: -1}});
        expect(parseSlashCommand("/when off")).toEqual({kind: "when", condition: undefined});
        expect(parseSlashCommand("/when sue").kind).toBe("invalid");
    });

    it("every command in the help list parses to something other than unknown", () => {
        const examples: Record<string, string> = {
            "/vector add NAME[:C|@Xσ]": "/vector add x:1", "/vector set NAME C": "/vector set x 1", "/vector off|on NAME": "/vector off x",
            "/vector rm NAME": "/vector rm x", "/layers NAME A-B": "/layers x 1-2", "/preset save NAME [DESC]": "/preset save x a description", "/preset load NAME": "/preset load x",
            "/sweep NAME A..B STEP [control]": "/sweep x 0..1 0.5", "/save FILE [--force]": "/save f.md", "/train RECIPE": "/train happy",
            "/set NAME VALUE": "/set temperature 0.5",
            "/system <text>": "/system hi", "/history keep|reeval": "/history keep", "/steer reply|all|first:N|from:N": "/steer first:8",
            "/steer code off|on": "/steer code off", "/when NAME>Z|NAME<Z|off": "/when sue>0.5"
        };
        for (const [command] of SLASH_COMMAND_HELP) {
            const example = examples[command] ?? command;
            const parsed = parseSlashCommand(example);
            expect(parsed.kind, example).not.toBe("unknown");
            expect(parsed.kind, example).not.toBe("invalid");
        }
    });
});
