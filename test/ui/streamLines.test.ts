import {describe, expect, it} from "vitest";
import {splitStream, tailLines} from "../../src/ui/streamLines.js";

describe("splitting a reply being written", () => {
    it("prints finished lines once and keeps only the line being written live", () => {
        let committed = 0;
        const printed: string[] = [];
        let live = "";
        for (const buffer of ["Once", "Once upon\na ti", "Once upon\na time\nthere\n", "Once upon\na time\nthere\nwas"]) {
            const split = splitStream(buffer, committed);
            if (split.finished != null) printed.push(split.finished);
            committed = split.committed;
            live = split.live;
        }
        expect(printed).toEqual(["Once upon", "a time\nthere"]);
        expect(live).toBe("was");
        // printed blocks + live rest give back the whole text
        expect(printed.join("\n") + "\n" + live).toBe("Once upon\na time\nthere\nwas");
    });

    it("a reply that starts with a line break prints an empty line, as the text has", () => {
        expect(splitStream("\nHi", 0)).toEqual({finished: "", committed: 1, live: "Hi"});
        expect(splitStream("\nHi", 1)).toEqual({committed: 1, live: "Hi"});
    });

    it("tailLines keeps the last lines of a candidate reply", () => {
        expect(tailLines("a\nb\nc\nd", 2)).toBe("c\nd");
        expect(tailLines("a", 5)).toBe("a");
    });
});
