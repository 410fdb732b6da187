/**
 * Writing a file so that a failed write (a full disk, EIO, a crash) never leaves it half-written: the bytes go to a
 * new temporary file beside it, which is then renamed over it. The rename replaces a symlink at that path with the
 * new file instead of writing through the link to wherever it points. Every file steer-chat writes goes through here.
 */
import {randomBytes} from "node:crypto";
import {closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync} from "node:fs";
import path from "node:path";
import {UserFacingError} from "../errors.js";

/** A write that failed: names the file, the reason and what to do. */
export class FileWriteError extends UserFacingError {
    constructor(readonly file: string, readonly code: string | undefined, detail: string) {
        const [reason, hint] = WRITE_PROBLEMS[code ?? ""] ?? [detail, "check the path and the disk"];
        super(`Could not write ${file}: ${reason}${code ? ` (${code})` : ""}`, hint);
        this.name = "FileWriteError";
    }
}

const WRITE_PROBLEMS: Record<string, [reason: string, hint: string]> = {
    ENOSPC: ["no space left on the device", "free some disk space and try again"],
    EDQUOT: ["disk quota exceeded", "free some disk space and try again"],
    EFBIG: ["the file is too large", "the system limits file sizes here (ulimit -f)"],
    EIO: ["input/output error", "check the disk"],
    EACCES: ["permission denied", "check the folder's permissions"],
    EPERM: ["operation not permitted", "check the folder's permissions"],
    EROFS: ["read-only file system", "choose another folder"],
    EISDIR: ["it is a folder", "give a file name"],
    ENOTDIR: ["a part of the path is not a folder", "check the path"],
    ENOENT: ["its folder does not exist", "create the folder or check the path"]
};

/** Writes data to file atomically; with `createFolder` its folder is made first. Failures are a FileWriteError. */
export function writeFileAtomic(file: string, data: string | Uint8Array, {createFolder = false} = {}): void {
    const target = path.resolve(file);
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
    try {
        if (createFolder) mkdirSync(path.dirname(target), {recursive: true});
        // "wx": a new file only, so nothing already at the temporary name (a planted link) is written through
        const fd = openSync(temp, "wx");
        try {
            writeFileSync(fd, data);
            fsyncSync(fd);
        } finally {
            closeSync(fd);
        }
        renameSync(temp, target);
    } catch (err) {
        rmSync(temp, {force: true});
        const e = err as NodeJS.ErrnoException;
        throw new FileWriteError(file, e.code, e.message);
    }
}
