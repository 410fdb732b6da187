/**
 * `steer-chat train --describe`, run as the user runs it: --dry-run prints the pairs without a model, a bad
 * description is one line and exit 2, training on the demo model writes a vector that loads with its held-out table,
 * and the second run takes it from the per-model cache.
 */
import path from "node:path";
import {describe, expect, it} from "vitest";
import {loadControlVector} from "../../src/steering/loadControlVector.js";
import {expectOneLineError, runCli} from "../helpers/cliRun.js";
import {storiesModel, tempDir} from "../helpers/steeringTestKit.js";

describe("train --describe", () => {
    it("--dry-run prints the contrast pairs built from the description, and needs no model", async () => {
        const result = await runCli(["train", "--describe", "speaks like a pirate", "--dry-run"]);
        expect(result.code, result.stderr).toBe(0);
        expect(result.stderr).toBe("");
        const lines = result.stdout.trimEnd().split("\n");
        expect(lines[0]).toMatch(/^18 contrast pairs for "speaks like a pirate"/);
        expect(lines[1]).toBe("positive persona: \"Pretend you're a person who fits this description: speaks like a pirate. Make statements about the world.\"");
        expect(lines[2]).toBe("negative persona: \"Pretend you're a neutral person who does not fit this description: speaks like a pirate. " +
            "Make statements about the world.\"");
        expect(lines.slice(3)).toHaveLength(18);
        expect(lines[3]).toBe('  pair  1: "Tell me about your day." → "I"');
    });

    it("refuses an empty or too long description, or a second source of pairs, in one line with exit 2", async () => {
        expect(expectOneLineError(await runCli(["train", "--describe", "  ", "--dry-run"]))).toMatch(/The description is empty/);
        expect(expectOneLineError(await runCli(["train", "--describe", "x".repeat(201), "--model", storiesModel, "--output", "v.gguf"])))
            .toMatch(/The description is 201 characters long, more than 200: "x{40}… \(161 more characters\)"/);
        expect(expectOneLineError(await runCli(["train", "--describe", "is kind", "--recipe", "happy", "--dry-run"])))
            .toMatch(/one source of pairs/);
        expect(expectOneLineError(await runCli(["train", "--recipe", "happy", "--dry-run"]))).toMatch(/--dry-run shows the pairs --describe/);
    });

    it("trains on the demo model: the vector loads and has a held-out score; the second run comes from the cache", async () => {
        const dir = tempDir("steer-describe-cli-");
        const env = {STEER_CHAT_DATA_DIR: path.join(dir, "data"), STEER_CHAT_CONFIG_DIR: path.join(dir, "config")};
        const output = path.join(dir, "pirate.gguf");
        const args = ["train", "--model", storiesModel, "--describe", "speaks like a pirate", "--output", output];
        const first = await runCli(args, {env});
        expect(first.code, first.stderr).toBe(0);
        expect(first.stdout).toMatch(/^Wrote .*pirate\.gguf for "speaks like a pirate": 4 layers, n_embd 64, trained on \d+ tokens in /);
        expect(first.stdout).toMatch(/Held-out check: a direction trained on 14 pairs, scored on the other 4 \(seed 0\)/);
        expect(first.stdout).toMatch(/best layers: /);
        const vector = await loadControlVector(output);
        expect(vector.quality).toMatchObject({trainPairs: 14, heldOutPairs: 4});

        const second = await runCli(args, {env});
        expect(second.code, second.stderr).toBe(0);
        expect(second.stdout).toMatch(/4 layers, n_embd 64, from the cache \(trained for this model before: .*described.*\.gguf\)/);
        expect(second.stdout).not.toMatch(/trained on \d+ tokens/);
        const again = await loadControlVector(output);
        expect([...again.directions.get(3)!]).toEqual([...vector.directions.get(3)!]);
    });
});
