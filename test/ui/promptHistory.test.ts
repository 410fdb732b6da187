import {execFileSync} from "node:child_process";
import {mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {historyFileAppender, readHistoryFile} from "../../src/ui/historyFile.js";
import {PromptHistory} from "../../src/ui/promptHistory.js";
import {runLimitedScript} from "../helpers/limitedScript.js";
import {repoRoot} from "../helpers/tinyModel.js";

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
        // both saves fail at once (rejected promises): one turn of the event loop runs every handler they set off
        await new Promise((resolve) => setImmediate(resolve));
        expect(errors.map((e) => (e as Error).message)).toEqual(["disk full"]);
        expect(history.all).toEqual(["x", "y"]);
    });

    it("a symlinked history file is refused in one line naming it: nothing read through it, no prompt appended into its target", async () => {
        const file = tempFile();
        mkdirSync(path.dirname(file));
        const victim = path.join(mkdtempSync(path.join(os.tmpdir(), "steer-victim-")), "notes.txt");
        writeFileSync(victim, "\"not yours\"\n");
        symlinkSync(victim, file);
        expect(() => readHistoryFile(file)).toThrow(`The prompt history file ${file} is a symbolic link, not a regular file`);
        await expect(historyFileAppender(file)("a secret prompt")).rejects.toThrow(`Could not write ${file}: it is a symbolic link (ELOOP)`);
        expect(readFileSync(victim, "utf8")).toBe("\"not yours\"\n");
    });

    it("a FIFO as the history is refused at once, read and append (child process, killed if it blocks); a failed append is cut back", () => {
        const file = tempFile();
        mkdirSync(path.dirname(file));
        execFileSync("mkfifo", [file]);
        const kept = path.join(path.dirname(file), "kept.jsonl");
        writeFileSync(kept, '"one"\n"two"\n');
        const module = JSON.stringify(path.join(repoRoot, "dist", "ui", "historyFile.js"));
        const result = runLimitedScript(`
            const {historyFileAppender, readHistoryFile} = await import(${module});
            try { readHistoryFile(${JSON.stringify(file)}); console.log("read"); } catch (err) { console.log(err.toLine()); }
            try { await historyFileAppender(${JSON.stringify(file)})("x"); console.log("appended"); } catch (err) { console.log(err.toLine()); }
            limitFileSize(20);
            try { await historyFileAppender(${JSON.stringify(kept)})("a long prompt past the limit"); console.log("appended"); }
            catch (err) { console.log(err.toLine()); }
            console.log(JSON.stringify(readHistoryFile(${JSON.stringify(kept)})));`, {timeoutMs: 30_000});
        expect(result.signal, result.stderr).toBeUndefined();
        expect(result.stdout.trim().split("\n")).toEqual([
            `The prompt history file ${file} is a FIFO (named pipe), not a regular file — steer-chat keeps a regular file there: move it away`,
            `Could not write ${file}: it is not a regular file (ENXIO) — give the path of a regular file`,
            `Could not write ${kept}: the file is too large (EFBIG) — the system limits file sizes here (ulimit -f)`,
            '["one","two"]'
        ]);
        expect(readFileSync(kept, "utf8")).toBe('"one"\n"two"\n');
    });
});

