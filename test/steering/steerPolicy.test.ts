/** The steering policy's values: all, reply and the schedules first:N and from:N, as --steer, /steer and presets take them. */
import {describe, expect, it} from "vitest";
import {parseCli} from "../../src/cli/options.js";
import {presetProblem} from "../../src/presets/presetSchema.js";
import {describeSteerPolicy, parseSteerPolicy, promptUnsteered, scheduleOf} from "../../src/steering/steerPolicy.js";

describe("steering policies", () => {
    it("parses all, reply, first:N (N ≥ 1) and from:N (from:0 is reply)", () => {
        expect(parseSteerPolicy("all")).toBe("all");
        expect(parseSteerPolicy("reply")).toBe("reply");
        expect(parseSteerPolicy("first:8")).toBe("first:8");
        expect(parseSteerPolicy("from:12")).toBe("from:12");
        expect(parseSteerPolicy("from:0")).toBe("reply");
        for (const bad of ["", "first:0", "first:-1", "first:1.5", "first:", "from:x", "last:3", "ALL", "first:99999999999"])
            expect(parseSteerPolicy(bad), bad).toBeUndefined();
        expect(scheduleOf("first:8")).toEqual({kind: "first", n: 8});
        expect(scheduleOf("reply")).toBeUndefined();
        expect(promptUnsteered("from:3")).toBe(true);
        expect(promptUnsteered("first:3")).toBe(false);
        expect(describeSteerPolicy("first:8")).toContain("first 8 reply tokens");
    });

    it("--steer takes them and names the forms when wrong", () => {
        expect(parseCli(["chat", "--steer", "first:8"]).steer).toBe("first:8");
        expect(parseCli(["chat", "--steer", "from:4"]).steer).toBe("from:4");
        expect(() => parseCli(["chat", "--steer", "first:0"])).toThrow(/--steer.*first:0/);
    });

    it("a preset's steer takes them", () => {
        const preset = (steer: unknown) => presetProblem({name: "p", vectors: [], steer});
        expect(preset("first:8")).toBeUndefined();
        expect(preset("from:2")).toBeUndefined();
        expect(preset("reply")).toBeUndefined();
        expect(preset("first:0")).toMatch(/steer must be all, reply, first:N or from:N/);
        expect(preset("from:0")).toMatch(/steer must be/);
        expect(preset(3)).toMatch(/steer must be/);
    });
});
