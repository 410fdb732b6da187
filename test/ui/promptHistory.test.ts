import {mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {historyFileAppender, readHistoryFile} from "../../src/ui/historyFile.js";
import {PromptHistory} from "../../src/ui/promptHistory.js";

const tempFile = () => path.join(mkdtempSync(path.join(os.tmpdir(), "steer-history-")), "sub", "prompt-history.jsonl");

describe("the prompt history", () => {
    it("↑ goes back from the newest, ↓ comes forward and ends on the line that was being typed", () => {
        const history = new PromptHistory(["one", "two"]);
        expect(history.previous("half typed")).toBe("two");
        expect(history.previous("two")).toBe("one");
        expect(history.previous("one")).toBeUndefined();
        expect(history.next()).toBe("two");
        expect(history.next()).toBe("half typed");
        expect(history.next()).toBeUndefined();
    });

    it("keeps what is sent, not blanks and not the same entry twice in a row, and starts again from the newest", () => {
        const history = new PromptHistory();
        for (const entry of ["a", "a", "   ", "b\nc"]) history.add(entry);
        expect(history.all).toEqual(["a", "b\nc"]);
        history.previous("");
        history.add("d");
        expect(history.previous("")).toBe("d");
    });

    it("keeps only the newest entries past its limit", () => {
        const history = new PromptHistory(["1", "2", "3"], undefined, 3);
        history.add("4");
        expect(history.all).toEqual(["2", "3", "4"]);
    });

    it("is saved one entry at a time and read back in order, multi-line entries whole", async () => {
        const file = tempFile();
        const append = historyFileAppender(file);
        const history = new PromptHistory([], append);
        for (const entry of ["first", "two\nlines", "with \"quotes\""]) history.add(entry);
        await append("last");
        expect(readHistoryFile(file)).toEqual(["first", "two\nlines", "with \"quotes\"", "last"]);
    });

    it("skips lines that are not its own, and cuts a file grown past twice the limit back to the limit", () => {
        const file = tempFile();
        const append = historyFileAppender(file);
        return append("seed").then(() => {
            writeFileSync(file, ['"a"', "{broken", "42", '"b"', ...Array.from({length: 10}, (_, i) => JSON.stringify(`n${i}`))].join("\n") + "\n");
            expect(readHistoryFile(file, 5)).toEqual(["n5", "n6", "n7", "n8", "n9"]);
            expect(readFileSync(file, "utf8").trim().split("\n")).toHaveLength(5);
        });
    });

    it("reports the first failure to save, once", async () => {
        const errors: unknown[] = [];
        const history = new PromptHistory([], () => Promise.reject(new Error("disk full")));
        history.onError = (err) => errors.push(err);
        history.add("x");
        history.add("y");
        await new Promise((r) => setTimeout(r, 10));
        expect(errors.map((e) => (e as Error).message)).toEqual(["disk full"]);
        expect(history.all).toEqual(["x", "y"]);
    });
});
