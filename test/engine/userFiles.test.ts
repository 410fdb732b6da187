/**
 * The one reader (userFiles.ts): regular files only, bounded, a failed read names the file; caches that cannot be
 * read are skipped. Cases that would block (a FIFO) or read forever (a link to /dev/zero) before the reader was
 * made the one path run in a child process killed after a timeout, so a regression fails instead of hanging.
 */
import {execFileSync} from "node:child_process";
import {mkdirSync, symlinkSync, writeFileSync} from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {errorMessage} from "../../src/errors.js";
import {FileTooLargeError, NotARegularFileError, readCacheFile, readRegularFile, readRegularFileIfExists} from "../../src/engine/userFiles.js";
import {runLimitedScript} from "../helpers/limitedScript.js";
import {repoRoot, tempDir} from "../helpers/tinyModel.js";

const dist = (file: string) => JSON.stringify(path.join(repoRoot, "dist", file));
const missing = () => new Error("missing");

describe("the one reader", () => {
    it("reads a regular file, bounded: a larger one is one line naming it", () => {
        const file = path.join(tempDir(), "prompts.txt");
        writeFileSync(file, "x".repeat(2048));
        expect(readRegularFile(file, "Prompt file", missing).length).toBe(2048);
        expect(() => readRegularFile(file, "Prompt file", missing, {maxBytes: 1024})).toThrow(FileTooLargeError);
        expect(() => readRegularFile(file, "Prompt file", missing, {maxBytes: 1024})).toThrow(`Prompt file ${file} is larger than`);
        expect(readRegularFileIfExists(path.join(tempDir(), "none"), "Prompt file")).toBeUndefined();
    });

    it("reads a file whose size says 0 to its end (/proc), and a read error names the file (EIO of /proc/self/mem)", () => {
        expect(readRegularFile("/proc/self/status", "Text file", missing).toString()).toMatch(/^Name:/);
        let failure: unknown;
        try {
            readRegularFile("/proc/self/mem", "Text file", missing);
        } catch (err) {
            failure = err;
        }
        expect(errorMessage(failure)).toMatch(/^Input\/output error on \/proc\/self\/mem — /);
    });

    it("a folder, or a link when links are refused, is one line naming the file; a cache that is either is skipped", () => {
        const dir = tempDir();
        const target = path.join(dir, "real.json");
        writeFileSync(target, "{}");
        const link = path.join(dir, "link.json");
        symlinkSync(target, link);
        expect(readRegularFile(link, "Text file", missing).toString()).toBe("{}");
        expect(() => readRegularFile(link, "Cache file", missing, {noFollow: true})).toThrow(NotARegularFileError);
        expect(() => readRegularFile(link, "Cache file", missing, {noFollow: true})).toThrow(`Cache file ${link} is a symbolic link, not a regular file`);
        expect(() => readRegularFile(dir, "Text file", missing)).toThrow(`Text file ${dir} is a folder, not a regular file`);
        expect(readCacheFile(link, 1024)).toBeUndefined();
        expect(readCacheFile(dir, 1024)).toBeUndefined();
        expect(readCacheFile(target, 1)).toBeUndefined(); // too large for its bound
        expect(readCacheFile(target, 1024)?.toString()).toBe("{}");
    });

    it("a FIFO and a link to /dev/zero are refused at once, never opened for a blocking or endless read (child, killed if it hangs)", () => {
        const dir = tempDir();
        const fifo = path.join(dir, "pipe.txt");
        execFileSync("mkfifo", [fifo]);
        const zero = path.join(dir, "zero.json");
        symlinkSync("/dev/zero", zero);
        mkdirSync(path.join(dir, "sub"));
        const result = runLimitedScript(`
            const {readRegularFile, readCacheFile} = await import(${dist("engine/userFiles.js")});
            for (const file of [${JSON.stringify(fifo)}, ${JSON.stringify(zero)}]) {
                try { readRegularFile(file, "Text file", () => new Error("missing")); console.log("read " + file); }
                catch (err) { console.log(err.toLine()); }
                console.log(readCacheFile(file, 1024) === undefined ? "cache skipped" : "cache read");
            }`, {timeoutMs: 30_000});
        expect(result.signal, result.stderr).toBeUndefined();
        expect(result.stdout.trim().split("\n")).toEqual([
            `Text file ${fifo} is a FIFO (named pipe), not a regular file — give the path of a regular file`,
            "cache skipped",
            `Text file ${zero} is a device, not a regular file — give the path of a regular file`,
            "cache skipped"
        ]);
    });
});
