import {describe, expect, it} from "vitest";
import {ReplyMeter} from "../../src/engine/replyMeter.js";

/** a clock that reads the times given, one per call */
function clock(...times: number[]) {
    let i = 0;
    return () => {
        if (i >= times.length) throw new Error("the clock was read more often than expected");
        return times[i++]!;
    };
}

describe("the reply meter", () => {
    it("times the prompt phase from the start of the turn to the first token", () => {
        const meter = new ReplyMeter(clock(1000, 1500, 1600, 1700));
        meter.tokens();
        meter.tokens();
        meter.tokens();
        expect(meter.timing(100)).toEqual({firstTokenSeconds: 0.5, promptTokens: 100, promptTokensPerSecond: 200});
        // 2 tokens after the first, over 0.2 s
        expect(meter.tokensPerSecond()).toBeCloseTo(10, 10);
        expect(meter.tokenCount).toBe(3);
    });

    it("counts a chunk of tokens as they came, and the clock once per chunk", () => {
        const meter = new ReplyMeter(clock(0, 250, 750));
        meter.tokens(2);
        meter.tokens(3);
        // 4 tokens after the first, over 0.5 s
        expect(meter.tokensPerSecond()).toBeCloseTo(8, 10);
        expect(meter.timing(10)?.firstTokenSeconds).toBe(0.25);
    });

    it("has no timing before a first token, and no rate from one token or none", () => {
        const meter = new ReplyMeter(clock(0, 10));
        expect(meter.timing(5)).toBeUndefined();
        expect(meter.tokensPerSecond()).toBe(0);
        meter.tokens(0); // nothing: the clock is not read
        meter.tokens();
        expect(meter.tokensPerSecond()).toBe(0);
        expect(meter.timing(0)).toEqual({firstTokenSeconds: 0.01, promptTokens: 0, promptTokensPerSecond: 0});
    });

    it("a first token at the turn's start gives a zero rate rather than infinity", () => {
        const meter = new ReplyMeter(clock(5, 5));
        meter.tokens();
        expect(meter.timing(40)).toEqual({firstTokenSeconds: 0, promptTokens: 40, promptTokensPerSecond: 0});
    });
});
