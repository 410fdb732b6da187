/**
 * The condition gate through the real binary (dist/, built by `npm run build`): `ask --when sue>0` on the demo steers
 * a reply to a prompt about Sue and leaves one about Tim unsteered, and the z it prints is the overall z
 * `steer-chat read` prints for the same prompt.
 */
import {describe, expect, it} from "vitest";
import {runCli, type CliResult} from "../helpers/cliRun.js";
import {tempDir} from "../helpers/tinyModel.js";

const env = {STEER_CHAT_DATA_DIR: tempDir("steer-data-"), XDG_CONFIG_HOME: tempDir("steer-config-")};
const SUE = "Sue liked to sing. Sue had a red hat. Sue was happy.";
const TIM = "Tim ran to the park. Tim had a ball. Tim was fast.";
const ASK = ["ask", "--model", "demo", "--temperature", "0", "--max-tokens", "24"];

function ok(result: CliResult): CliResult {
    expect(result.signal, result.stderr).toBeNull();
    expect(result.code, result.stderr).toBe(0);
    return result;
}

/** the overall z `read` prints for a text */
async function readZ(text: string): Promise<string> {
    const {stdout} = ok(await runCli(["read", "--model", "demo", "--vector", "sue", text], {env}));
    return /overall z ([+-]\d+\.\d\d)/.exec(stdout)![1]!;
}

describe("ask --when NAME>Z", () => {
    it("steers the reply to a prompt about Sue, not the one about Tim, on the z steer-chat read prints", async () => {
        const decided: Record<string, {stdout: string, z: string, steered: boolean}> = {};
        for (const [name, prompt] of [["sue", SUE], ["tim", TIM]] as const) {
            const {stdout, stderr} = ok(await runCli([...ASK, "--vector", "sue:0.5", "--when", "sue>0", prompt], {env}));
            const m = /^steer-chat: when sue>0: prompt z ([+-]\d+\.\d\d), (steered|not steered)$/m.exec(stderr);
            expect(m, stderr).not.toBeNull();
            decided[name] = {stdout, z: m![1]!, steered: m![2] === "steered"};
            expect(m![1]).toBe(await readZ(prompt));
        }
        expect(decided.sue!.steered).toBe(true);
        expect(decided.tim!.steered).toBe(false);
        // steered: the reply is the one made with the vector on; not steered: the one made without it
        const steered = ok(await runCli([...ASK, "--vector", "sue:0.5", SUE], {env})).stdout;
        const unsteered = ok(await runCli([...ASK, SUE], {env})).stdout;
        expect(steered).not.toBe(unsteered);
        expect(decided.sue!.stdout).toBe(steered);
        expect(decided.tim!.stdout).toBe(ok(await runCli([...ASK, TIM], {env})).stdout);
        expect(decided.tim!.stdout).not.toBe(ok(await runCli([...ASK, "--vector", "sue:0.5", TIM], {env})).stdout);
    }, 120_000);

    it("< reverses it, and a malformed condition is one line naming the flag", async () => {
        const {stderr} = ok(await runCli([...ASK, "--vector", "sue:0.5", "--when", "sue<0", TIM], {env}));
        expect(stderr).toMatch(/when sue<0: prompt z -\d\.\d\d, steered/);
        const bad = await runCli([...ASK, "--vector", "sue:0.5", "--when", "sue=1", TIM], {env});
        expect(bad.code).toBe(2);
        expect(bad.stderr).toMatch(/Invalid value for --when: "sue=1"/);
        // serve does not take the gates (its steering is per request): said, not ignored
        const serve = await runCli(["serve", "--model", "demo", "--port", "0", "--when", "sue>0"], {env});
        expect(serve.code).toBe(2);
        expect(serve.stderr).toMatch(/serve does not take --when/);
    }, 120_000);
});
