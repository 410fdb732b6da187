import {describe, expect, it} from "vitest";
import {ASIDE_LINES, visibleAsides} from "../../src/ui/useAsides.js";

describe("notes held while a reply prints", () => {
    it("show whole when short", () => {
        const held = [{text: "Busy: the reply is being written", role: "note" as const}, {text: "a\nb", role: "error" as const}];
        expect(visibleAsides(held)).toEqual([{text: "Busy: the reply is being written", role: "note"}, {text: "a", role: "error"}, {text: "b", role: "error"}]);
    });

    it("a long one (a /help typed mid-reply) shows its last lines after a count, so the live area stays short", () => {
        const help = Array.from({length: 45}, (_, i) => `line ${i + 1}`).join("\n");
        const shown = visibleAsides([{text: help, role: "note"}]);
        expect(shown).toHaveLength(ASIDE_LINES);
        expect(shown[0]).toEqual({text: `… ${45 - (ASIDE_LINES - 1)} more lines of notes, shown after the reply`, role: "note"});
        expect(shown.slice(1).map((a) => a.text)).toEqual(["line 44", "line 45"]);
    });
});
