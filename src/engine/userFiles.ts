/**
 * Files the user names (a model, prompt files, a direction to import, a vector, `/save FILE`, `--output`): only
 * regular files are read or written. Opening a FIFO blocks the whole process (Esc and every signal but SIGKILL
 * wait with it), and a device or folder is never what was meant. The kind is checked before the file is opened,
 * and again on the open descriptor (opened non-blocking), so a path swapped in between cannot block either.
 */
import {closeSync, constants, fstatSync, openSync, readFileSync, statSync, type Stats} from "node:fs";
import os from "node:os";
import path from "node:path";
import {UserFacingError} from "../errors.js";

/** A user-given path that exists but is not a regular file. */
export class NotARegularFileError extends UserFacingError {}

function kindOf(stat: Stats): string {
    if (stat.isDirectory()) return "a folder";
    if (stat.isFIFO()) return "a FIFO (named pipe)";
    if (stat.isSocket()) return "a socket";
    if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
    return "not a regular file";
}

function refuse(what: string, file: string, stat: Stats): NotARegularFileError {
    return new NotARegularFileError(`${what} ${file} is ${kindOf(stat)}, not a regular file`, "give the path of a regular file");
}

/** The file's stats (following links), or undefined when nothing is there; throws when it is not a regular file. */
export function statRegularFile(file: string, what: string): Stats | undefined {
    let stat: Stats;
    try {
        stat = statSync(file);
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw err;
    }
    if (!stat.isFile()) throw refuse(what, file, stat);
    return stat;
}

/** Opens a regular file for reading (never blocking on a FIFO swapped in after the check). */
export function openRegularFile(file: string, what: string): number {
    return openChecked(file, constants.O_RDONLY, what);
}

function openChecked(file: string, flags: number, what: string): number {
    const fd = openSync(file, flags | constants.O_NONBLOCK, 0o666);
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
        closeSync(fd);
        throw refuse(what, file, stat);
    }
    return fd;
}

/** Reads a regular file; `missing` is the error for a path with nothing there. */
export function readRegularFile(file: string, what: string, missing: () => Error): Buffer {
    if (statRegularFile(file, what) == null) throw missing();
    const fd = openChecked(file, constants.O_RDONLY, what);
    try {
        return readFileSync(fd);
    } finally {
        closeSync(fd);
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

/** Runs `write`, making a system error it throws name `file` (a failed write on a descriptor does not). */
export function namingFile<T>(file: string, write: () => T): T {
    try {
        return write();
    } catch (err) {
        if (err instanceof Error && typeof (err as NodeJS.ErrnoException).code === "string" && (err as NodeJS.ErrnoException).path == null)
            (err as NodeJS.ErrnoException).path = file;
        throw err;
    }
}
