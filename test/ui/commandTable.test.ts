/**
 * The command table is the one place a slash command is declared: every file under src/ui/commands that declares a
 * command is in it, names are unique, /help lists it, and the busy gate reads its flag.
 */
import {readdirSync} from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {COMMANDS} from "../../src/ui/commands/index.js";
import {parseSlashCommand, SLASH_COMMAND_HELP, specOf} from "../../src/ui/slashCommands.js";
import {repoRoot} from "../helpers/tinyModel.js";

describe("the slash command table", () => {
    it("holds every command declared under src/ui/commands", async () => {
        const dir = path.join(repoRoot, "src", "ui", "commands");
        const declared: unknown[] = [];
        for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
            const module = await import(path.join(dir, file)) as Record<string, unknown>;
            for (const value of Object.values(module))
                if (value != null && typeof value === "object" && "kind" in value && "run" in value) declared.push(value);
        }
        expect(declared.length).toBe(COMMANDS.length);
        for (const command of declared) expect(COMMANDS).toContain(command);
    });

    it("has unique, lower-case names of one or two words, and /help lists each command once, in order", () => {
        const names = COMMANDS.flatMap((c) => c.names);
        expect(new Set(names).size).toBe(names.length);
        for (const name of names) expect(name).toMatch(/^\/[a-z?]+( [a-z]+)?$/);
        expect(SLASH_COMMAND_HELP).toEqual(COMMANDS.map((c) => [c.usage, c.help]));
        expect(new Set(COMMANDS.map((c) => c.kind)).size).toBe(COMMANDS.length);
    });

    it("every name parses to its own command, and the busy gate's flag comes with it", () => {
        for (const command of COMMANDS) for (const name of command.names) {
            const parsed = parseSlashCommand(`${name} x 1`);
            // a command whose arguments are wrong is invalid, never another command
            if (parsed.kind !== "invalid") expect(parsed.kind, name).toBe(command.kind);
        }
        expect(specOf(parseSlashCommand("/vector set happy 0.5"))?.safeWhileBusy).toBe(true);
        expect(specOf(parseSlashCommand("/vector add happy"))?.safeWhileBusy).toBe(false); // may train a recipe
        expect(specOf(parseSlashCommand("/train happy"))?.safeWhileBusy).toBe(false);
        expect(specOf(parseSlashCommand("/nope"))).toBeUndefined();
    });
});
