/**
 * The one writer (atomicWrite.ts): a write that fails part-way (here a real one, cut short by a file-size limit in a
 * child process) leaves the old file and no temporary file; a symlink at the target is replaced, never written
 * through; a FIFO or folder there is refused; caches that cannot be written are skipped; appends (the prompt
 * history) never go through a link or to a FIFO, and are cut back when they fail.
 */
import {execFileSync} from "node:child_process";
import {lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync} from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {appendToFile, FileWriteError, makeFolder, writeCacheFile, writeFileAtomic} from "../../src/engine/atomicWrite.js";
import {runLimitedScript} from "../helpers/limitedScript.js";
import {repoRoot, tempDir} from "../helpers/tinyModel.js";

const distModule = path.join(repoRoot, "dist", "engine", "atomicWrite.js");

describe("writeFileAtomic", () => {
    it("a write that fails part-way keeps the old content and leaves no temporary file", () => {
        const dir = tempDir();
        const file = path.join(dir, "notes.md");
        writeFileSync(file, "the old notes\n");
        const script = `
            const {writeFileAtomic} = await import(${JSON.stringify(distModule)});
            limitFileSize(8192);
            try { writeFileAtomic(${JSON.stringify(file)}, "x".repeat(64 * 1024)); }
            catch (err) { console.log(err.name + ": " + err.toLine()); }`;
        const result = runLimitedScript(script);
        expect(result.stderr).toBe("");
        expect(result.stdout.trim()).toBe(`FileWriteError: Could not write ${file}: the file is too large (EFBIG) — the system limits file sizes here (ulimit -f)`);
        expect(readFileSync(file, "utf8")).toBe("the old notes\n");
        expect(readdirSync(dir)).toEqual(["notes.md"]);
    });

    it("replaces a symlink at the target instead of writing through it", () => {
        const dir = tempDir();
        const victim = path.join(tempDir(), "victim.txt");
        writeFileSync(victim, "not yours\n");
        const link = path.join(dir, "happy.gguf");
        symlinkSync(victim, link);
        writeFileAtomic(link, "new bytes");
        expect(readFileSync(victim, "utf8")).toBe("not yours\n");
        expect(lstatSync(link).isSymbolicLink()).toBe(false);
        expect(readFileSync(link, "utf8")).toBe("new bytes");
    });

    it("a failure is one line naming the file; the folder is made only when asked", () => {
        const missing = path.join(tempDir(), "no-such-folder", "t.md");
        let error: unknown;
        try {
            writeFileAtomic(missing, "x");
        } catch (err) {
            error = err;
        }
        expect(error).toBeInstanceOf(FileWriteError);
        expect((error as FileWriteError).toLine()).toBe(`Could not write ${missing}: its folder does not exist (ENOENT) — create the folder or check the path`);
        writeFileAtomic(missing, "x", {createFolder: true});
        expect(readFileSync(missing, "utf8")).toBe("x");
    });
});

describe("the one writer: what is at the path, folders, caches and appends", () => {
    it("a FIFO or a folder at the target is refused and left, never replaced or opened", () => {
        const dir = tempDir();
        const fifo = path.join(dir, "out.npy");
        execFileSync("mkfifo", [fifo]);
        expect(() => writeFileAtomic(fifo, "x")).toThrow(`Could not write ${fifo}: it is a FIFO (named pipe), not a regular file`);
        expect(lstatSync(fifo).isFIFO()).toBe(true);
        const folder = path.join(dir, "folder");
        mkdirSync(folder);
        expect(() => writeFileAtomic(folder, "x")).toThrow(`Could not write ${folder}: it is a folder, not a regular file`);
        expect(readdirSync(dir).sort()).toEqual(["folder", "out.npy"]); // no temporary file left
    });

    it("makeFolder fails at once where Node's recursive mkdir spins forever (/proc/self; child, killed if it spins)", () => {
        const result = runLimitedScript(`
            const {makeFolder, writeFileAtomic} = await import(${JSON.stringify(distModule)});
            try { makeFolder("/proc/self/steer-chat/sub"); console.log("made"); } catch (err) { console.log(err.code); }
            try { writeFileAtomic("/proc/self/steer-chat/x.json", "{}", {createFolder: true}); } catch (err) { console.log(err.toLine()); }`,
        {timeoutMs: 30_000});
        expect(result.signal, result.stderr).toBeUndefined();
        expect(result.stdout.trim().split("\n")).toEqual(["ENOENT",
            "Could not write /proc/self/steer-chat/x.json: its folder does not exist (ENOENT) — create the folder or check the path"]);
        const nested = path.join(tempDir(), "a", "b", "c");
        makeFolder(nested);
        makeFolder(nested); // there already: nothing to do
        expect(lstatSync(nested).isDirectory()).toBe(true);
    });

    it("a cache that cannot be written is skipped: false, and nothing left behind", () => {
        const dir = tempDir();
        writeFileSync(path.join(dir, "file"), "in the way");
        expect(writeCacheFile(path.join(dir, "file", "cache.json"), "{}")).toBe(false);
        expect(writeCacheFile(path.join(dir, "new", "cache.json"), "{}")).toBe(true);
        expect(readFileSync(path.join(dir, "new", "cache.json"), "utf8")).toBe("{}");
        const full = runLimitedScript(`
            const {writeCacheFile} = await import(${JSON.stringify(distModule)});
            limitFileSize(0);
            console.log(writeCacheFile(${JSON.stringify(path.join(dir, "new", "cache.json"))}, "x".repeat(1000)));`);
        expect(full.stdout.trim(), full.stderr).toBe("false");
        expect(readdirSync(path.join(dir, "new"))).toEqual(["cache.json"]);
        expect(readFileSync(path.join(dir, "new", "cache.json"), "utf8")).toBe("{}");
    });

    it("an append never goes through a link: refused in one line naming the file, and the link's target is untouched", async () => {
        const dir = tempDir();
        const victim = path.join(tempDir(), "victim.txt");
        writeFileSync(victim, "not yours\n");
        const link = path.join(dir, "prompt-history.jsonl");
        symlinkSync(victim, link);
        await expect(appendToFile(link, "\"secret prompt\"\n")).rejects.toThrow(
            new FileWriteError(link, "ELOOP", ""));
        expect(readFileSync(victim, "utf8")).toBe("not yours\n");
        const fresh = path.join(dir, "made", "history.jsonl");
        await appendToFile(fresh, "a\n");
        await appendToFile(fresh, "b\n");
        expect(readFileSync(fresh, "utf8")).toBe("a\nb\n");
    });

    it("an append to a FIFO is refused without blocking, and one that fails part-way is cut back off (child processes)", () => {
        const dir = tempDir();
        const fifo = path.join(dir, "pipe.jsonl");
        execFileSync("mkfifo", [fifo]);
        const file = path.join(dir, "history.jsonl");
        writeFileSync(file, "\"kept\"\n");
        const result = runLimitedScript(`
            const {appendToFile} = await import(${JSON.stringify(distModule)});
            const {openSync, constants} = await import("node:fs");
            try { await appendToFile(${JSON.stringify(fifo)}, "x\\n"); console.log("appended"); } catch (err) { console.log(err.toLine()); }
            openSync(${JSON.stringify(fifo)}, constants.O_RDONLY | constants.O_NONBLOCK); // with a reader, the open succeeds
            try { await appendToFile(${JSON.stringify(fifo)}, "x\\n"); console.log("appended"); } catch (err) { console.log(err.toLine()); }
            limitFileSize(10);
            try { await appendToFile(${JSON.stringify(file)}, JSON.stringify("y".repeat(100)) + "\\n"); console.log("appended"); }
            catch (err) { console.log(err.toLine()); }`, {timeoutMs: 30_000});
        expect(result.signal, result.stderr).toBeUndefined();
        expect(result.stdout.trim().split("\n")).toEqual([
            `Could not write ${fifo}: it is not a regular file (ENXIO) — give the path of a regular file`,
            `Could not write ${fifo}: it is a FIFO (named pipe), not a regular file — give the path of a regular file`,
            `Could not write ${file}: the file is too large (EFBIG) — the system limits file sizes here (ulimit -f)`
        ]);
        expect(readFileSync(file, "utf8")).toBe("\"kept\"\n");
    });
});
