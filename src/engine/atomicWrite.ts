/**
 * The one writer of files: every file steer-chat writes (an --output, `read --npy`, `/save`, presets, the caches, the
 * prompt history) goes through here. A whole file is written to a new temporary file beside it, which is then renamed
 * over it: a failed write (a full disk, EIO, a crash) never leaves it half-written, and a symlink at that path is
 * replaced by the new file instead of written through to wherever it points. What is at the path must be a regular
 * file or a link (a FIFO, device or folder is refused, never replaced). The prompt history is appended to instead:
 * never through a link, never to anything but a regular file, and a failed append is cut back off.
 * Folders are made without Node's recursive mkdir, which spins forever where mkdir says ENOENT of a folder that
 * exists (/proc/self).
 */
import {randomBytes} from "node:crypto";
import {closeSync, constants, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeFileSync} from "node:fs";
import {open} from "node:fs/promises";
import path from "node:path";
import {UserFacingError} from "../errors.js";
import {kindOf} from "./userFiles.js";

/** A write that failed: names the file, the reason and what to do. */
export class FileWriteError extends UserFacingError {
    constructor(readonly file: string, readonly code: string | undefined, detail: string, fix = "check the path and the disk") {
        const [reason, hint] = WRITE_PROBLEMS[code ?? ""] ?? [detail, fix];
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
    ENOENT: ["its folder does not exist", "create the folder or check the path"],
    ELOOP: ["it is a symbolic link", "steer-chat does not write through a link here: remove it"],
    ENXIO: ["it is not a regular file", "give the path of a regular file"]
};

/** An error as a FileWriteError naming `file` (one already is, or a refusal, is kept). */
function writeError(file: string, err: unknown): Error {
    if (err instanceof UserFacingError) return err;
    const e = err as NodeJS.ErrnoException;
    return new FileWriteError(file, e.code, e.message);
}

/**
 * Makes a folder and the missing ones above it, each with a plain mkdir, so a failure is an error at once (Node's
 * recursive mkdir loops forever on /proc/self/x, whose parent exists but where mkdir says ENOENT).
 */
export function makeFolder(dir: string): void {
    const missing: string[] = [];
    for (let current = path.resolve(dir); ;) {
        if (statSync(current, {throwIfNoEntry: false}) != null) break;
        missing.push(current);
        const parent = path.dirname(current);
        if (parent === current) break;
        current = parent;
    }
    for (const folder of missing.reverse()) {
        try {
            mkdirSync(folder);
        } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        }
    }
}

/** Refuses a target that is there and is neither a regular file nor a link (which the rename replaces). */
function checkTarget(file: string, target: string) {
    const stat = lstatSync(target, {throwIfNoEntry: false});
    if (stat != null && !stat.isFile() && !stat.isSymbolicLink())
        throw new FileWriteError(file, undefined, `it is ${kindOf(stat)}, not a regular file`, "give the path of a regular file");
}

/** Writes data to file atomically; with `createFolder` its folder is made first. Failures are a FileWriteError. */
export function writeFileAtomic(file: string, data: string | Uint8Array, {createFolder = false} = {}): void {
    const target = path.resolve(file);
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
    try {
        if (createFolder) makeFolder(path.dirname(target));
        checkTarget(file, target);
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
        throw writeError(file, err);
    }
}

/**
 * A cache steer-chat keeps for itself (model hashes, calibrations), written atomically; a cache that cannot be written
 * (a full disk, a folder in the way) is skipped: false, and the work it would have saved is done again next time.
 */
export function writeCacheFile(file: string, data: string | Uint8Array): boolean {
    try {
        writeFileAtomic(file, data, {createFolder: true});
        return true;
    } catch {
        return false;
    }
}

/**
 * Appends to a regular file (made, with its folder, if missing), never through a link (refused: ELOOP) and never to a
 * FIFO or device (opened non-blocking, then refused). A write that fails part-way is cut back off, so the file
 * keeps whole lines. Failures are a FileWriteError naming the file.
 */
export async function appendToFile(file: string, data: string): Promise<void> {
    try {
        makeFolder(path.dirname(path.resolve(file)));
        const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;
        const handle = await open(file, flags, 0o666);
        try {
            const stat = await handle.stat();
            if (!stat.isFile()) throw new FileWriteError(file, undefined, `it is ${kindOf(stat)}, not a regular file`, "give the path of a regular file");
            try {
                await handle.writeFile(data);
            } catch (err) {
                await handle.truncate(stat.size).catch(() => undefined);
                throw err;
            }
        } finally {
            await handle.close();
        }
    } catch (err) {
        throw writeError(file, err);
    }
}
