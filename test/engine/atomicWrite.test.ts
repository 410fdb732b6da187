/**
 * Atomic writes: a write that fails part-way (here a real one, cut short by a file-size limit in a child process)
 * leaves the old file and no temporary file; a symlink at the target is replaced, never written through.
 */
import {lstatSync, readdirSync, readFileSync, symlinkSync, writeFileSync} from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {FileWriteError, writeFileAtomic} from "../../src/engine/atomicWrite.js";
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
