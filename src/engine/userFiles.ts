/**
 * The one reader of files: every file the user names (a model, prompt files, a direction to import, a vector, a text
 * to read) and every file steer-chat keeps (presets, the prompt history, the caches) is read here. Only regular files
 * are read: opening a FIFO blocks the whole process (Esc and every signal but SIGKILL wait with it), and a device or
 * folder is never what was meant (a link to /dev/zero would be read until memory runs out). The kind is checked
 * before the file is opened, and again on the open descriptor (opened non-blocking), so a path swapped in between
 * cannot block either. What is read is bounded in size, and a failed read names the file.
 * Writing is atomicWrite.ts's.
 */
import {closeSync, constants, fstatSync, lstatSync, openSync, readSync, statSync, type Stats} from "node:fs";
import os from "node:os";
import path from "node:path";
import {UserFacingError} from "../errors.js";

/** A user-given path that exists but is not a regular file. */
export class NotARegularFileError extends UserFacingError {}

/** A file larger than what steer-chat reads for its purpose. */
export class FileTooLargeError extends UserFacingError {}

/** what a read takes unless told otherwise: far more than any text, preset or vector, far less than memory */
export const DEFAULT_MAX_READ_BYTES = 256 * 1024 * 1024;

export function kindOf(stat: Stats): string {
    if (stat.isSymbolicLink()) return "a symbolic link";
    if (stat.isDirectory()) return "a folder";
    if (stat.isFIFO()) return "a FIFO (named pipe)";
    if (stat.isSocket()) return "a socket";
    if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
    return "not a regular file";
}

/** `kept`: a file steer-chat keeps for itself (read with noFollow), which the user did not name */
function refuse(what: string, file: string, stat: Stats, kept = false): NotARegularFileError {
    return new NotARegularFileError(`${what} ${file} is ${kindOf(stat)}, not a regular file`,
        stat.isSymbolicLink() ? "steer-chat does not use a link here: remove it"
            : kept ? "steer-chat keeps a regular file there: move it away" : "give the path of a regular file");
}

/** How a file is read: its size bound, and whether a symbolic link is refused (files steer-chat keeps for itself). */
export type ReadOptions = {maxBytes?: number, noFollow?: boolean};

/** The file's stats (following links unless `noFollow`), or undefined when nothing is there; throws unless a regular file. */
export function statRegularFile(file: string, what: string, {noFollow = false}: {noFollow?: boolean} = {}): Stats | undefined {
    let stat: Stats;
    try {
        stat = noFollow ? lstatSync(file) : statSync(file);
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw err;
    }
    if (!stat.isFile()) throw refuse(what, file, stat, noFollow);
    return stat;
}

/** Opens a regular file for reading (never blocking on a FIFO swapped in after the check). */
export function openRegularFile(file: string, what: string, {noFollow = false}: {noFollow?: boolean} = {}): number {
    let fd: number;
    try {
        fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | (noFollow ? constants.O_NOFOLLOW : 0));
    } catch (err) {
        // O_NOFOLLOW on a link swapped in after the check
        if ((err as NodeJS.ErrnoException).code === "ELOOP" && noFollow) throw refuse(what, file, lstatSync(file));
        throw err;
    }
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
        closeSync(fd);
        throw refuse(what, file, stat, noFollow);
    }
    return fd;
}

const megabytes = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MB`;

/**
 * Reads at most `maxBytes` from an open regular file: read to its end, since a size from fstat can be wrong (files in
 * /proc say 0) or change while it is read. A system error names the file (Node's do not, on a descriptor).
 */
function readBounded(fd: number, file: string, what: string, maxBytes: number): Buffer {
    const chunks: Buffer[] = [];
    let total = 0;
    const chunkSize = Math.min(Math.max(fstatSync(fd).size + 1, 64 * 1024), maxBytes + 1);
    for (;;) {
        const chunk = Buffer.allocUnsafe(Math.min(chunkSize, maxBytes + 1 - total));
        const n = namingFile(file, () => readSync(fd, chunk, 0, chunk.length, null));
        if (n === 0) break;
        chunks.push(chunk.subarray(0, n));
        total += n;
        if (total > maxBytes)
            throw new FileTooLargeError(`${what} ${file} is larger than ${megabytes(maxBytes)}, more than steer-chat reads there`,
                "give a smaller file");
    }
    return Buffer.concat(chunks, total);
}

/** Reads a regular file whole (bounded), or undefined when nothing is at the path. */
export function readRegularFileIfExists(file: string, what: string,
    {maxBytes = DEFAULT_MAX_READ_BYTES, noFollow = false}: ReadOptions = {}): Buffer | undefined {
    if (statRegularFile(file, what, {noFollow}) == null) return undefined;
    let fd: number;
    try {
        fd = openRegularFile(file, what, {noFollow});
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined; // removed since the check
        throw err;
    }
    try {
        return readBounded(fd, file, what, maxBytes);
    } finally {
        closeSync(fd);
    }
}

/** Reads a regular file whole (bounded); `missing` is the error for a path with nothing there. */
export function readRegularFile(file: string, what: string, missing: () => Error, options: ReadOptions = {}): Buffer {
    const bytes = readRegularFileIfExists(file, what, options);
    if (bytes == null) throw missing();
    return bytes;
}

/**
 * A cache steer-chat keeps for itself (model hashes, calibrations): its bytes, or undefined when it is missing or
 * cannot be read for any reason (not a regular file, a link, too large, a disk error). A cache is only ever skipped.
 */
export function readCacheFile(file: string, maxBytes: number): Buffer | undefined {
    try {
        return readRegularFileIfExists(file, "Cache file", {maxBytes, noFollow: true});
    } catch {
        return undefined;
    }
}

/** `~` and `~/x` mean the home folder, as in a shell (a path typed inside the chat never passes through one). */
export function expandHome(file: string): string {
    if (file === "~") return os.homedir();
    return /^~[\\/]/.test(file) ? path.join(os.homedir(), file.slice(2)) : file;
}

/** Throws unless `file` is a regular file or nothing yet (checked before slow work whose result goes there). */
export function checkWritableTarget(file: string, what: string) {
    if (/[\\/]$/.test(file))
        throw new NotARegularFileError(`${what} ${file} ends in "${file.at(-1)}", so it names a folder`, "give the path of a file (a name after the last /)");
    statRegularFile(file, what);
}

/**
 * Throws unless an output may go to `file`: nothing is there, what is there is one of ours (`isOurs`: a file of the
 * kind this output writes), or `force`. Checked before any slow work, with checkWritableTarget.
 */
export async function checkReplaceable(file: string, {force, isOurs, kind, flag}: {force: boolean,
    isOurs: (file: string) => boolean | Promise<boolean>, kind: string, flag: string}): Promise<void> {
    if (force || lstatSync(file, {throwIfNoEntry: false}) == null) return;
    let ours = false;
    try {
        ours = await isOurs(file);
    } catch { /* unreadable: not known to be ours */ }
    if (!ours) throw new UserFacingError(`${file} exists and is not ${kind}`, `pass --force to replace it, or choose another ${flag}`);
}

/** Whether a regular file starts with `magic` (what an output's own kind of file starts with). */
export function startsWith(file: string, magic: Uint8Array, what: string): boolean {
    const fd = openRegularFile(file, what);
    try {
        const head = Buffer.alloc(magic.length);
        const n = namingFile(file, () => readSync(fd, head, 0, head.length, 0));
        return n === magic.length && head.equals(magic);
    } finally {
        closeSync(fd);
    }
}

/** Runs `write`, making a system error it throws name `file` (a failed read or write on a descriptor does not). */
export function namingFile<T>(file: string, write: () => T): T {
    try {
        return write();
    } catch (err) {
        if (err instanceof Error && typeof (err as NodeJS.ErrnoException).code === "string" && (err as NodeJS.ErrnoException).path == null)
            (err as NodeJS.ErrnoException).path = file;
        throw err;
    }
}
