/** `steer-chat calibrate` end to end on the demo model (the built binary in dist/, as a child process). */
import {describe, expect, it} from "vitest";
import {expectOneLineError, runCli} from "../helpers/cliRun.js";
import {storiesModel, tempDir} from "../helpers/steeringTestKit.js";

const env = {STEER_CHAT_DATA_DIR: tempDir("steer-data-"), STEER_CHAT_CONFIG_DIR: tempDir("steer-config-")};
const args = ["calibrate", "--raw", "--model", storiesModel, "--vector", "sue", "--max-sigma", "0.5", "--max-tokens", "24", "--max-kl", "0.5"];
/** the report without its wall time */
const timeless = (text: string) => text.replace(/ in [\d.]+ s/, " in _ s");

describe("steer-chat calibrate", () => {
    it("prints the prompts, limits and curve, and the same search twice", async () => {
        const first = await runCli(args, {env});
        expect(first.code, first.stderr).toBe(0);
        expect(first.stdout).toContain('prompts (3): "Once upon a time", "One day, a boy", "The sun was warm and"');
        expect(first.stdout).toContain("limits: mean KL per token <= 0.5 nats");
        expect(first.stdout).toContain("temperature 0, seed 0, 24 tokens a reply, steering all");
        const rows = first.stdout.split("\n").filter((l) => /^ *[-+]\d+\.\d+σ /.test(l));
        expect(rows.length).toBeGreaterThanOrEqual(3);
        const positive = /largest positive: ([-+][\d.]+)σ = coefficient ([-+][\d.]+)/.exec(first.stdout);
        expect(positive, first.stdout).not.toBeNull();
        expect(Number(positive![1])).toBeGreaterThan(0);
        expect(first.stdout).toMatch(/panel range: coefficient -[\d.]+ to \+[\d.]+/);
        // progress: one line a strength on stderr
        expect(first.stderr.split("\n").filter((l) => /^ {2}[-+][\d.]+σ \(coefficient/.test(l))).toHaveLength(rows.length);
        const second = await runCli(args, {env});
        expect(timeless(second.stdout)).toBe(timeless(first.stdout));
    });

    it("needs one vector, and says so in one line before loading anything", async () => {
        expect(expectOneLineError(await runCli(["calibrate", "--model", storiesModel], {env}))).toMatch(/calibrate needs one --vector/);
        expect(expectOneLineError(await runCli(["calibrate", "--model", storiesModel, "--vector", "sue", "--max-repetition", "2"], {env})))
            .toMatch(/Invalid value for --max-repetition/);
        expect(expectOneLineError(await runCli(["calibrate", "--vector", "sue"], {env}))).toMatch(/calibrate needs a model/);
    });
});
