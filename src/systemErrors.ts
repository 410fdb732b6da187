/**
 * Node's system errors (ENOSPC, EIO, ENOTDIR, EACCES, ...) arrive as "ENOSPC: no space left on device, write": no
 * file, no fix. This maps them to one line that names the path (when Node knows it) and what to do. Used by the
 * CLI's top level and the chat's error display, through errorMessage.
 */
import {configDir, dataDir} from "./config/paths.js";

type SystemError = Error & {code: string, syscall?: string, path?: string, dest?: string};

function isSystemError(err: unknown): err is SystemError {
    if (!(err instanceof Error)) return false;
    const {code, syscall} = err as Partial<SystemError>;
    return typeof code === "string" && /^E[A-Z0-9]+$/.test(code) && typeof syscall === "string";
}

const storageNote = () => `steer-chat keeps its files in ${configDir()} and ${dataDir()}`;

/** [what went wrong, the fix] for each error code; `target` names the path, or the operation when there is none */
const EXPLANATIONS: Record<string, (target: string) => [string, string]> = {
    ENOSPC: (t) => [`No space left on the device while writing ${t}`, "free some disk space and try again"],
    EDQUOT: (t) => [`Disk quota exceeded while writing ${t}`, "free some space in your quota and try again"],
    EIO: (t) => [`Input/output error on ${t}`, "the disk or file system reported a fault: check it, or use a copy of the file on another disk"],
    ENOTDIR: (t) => [`A part of the path ${t} is a file, not a folder`, `move or rename that file (${storageNote()})`],
    EISDIR: (t) => [`${t} is a folder, not a file`, "give the path of a file"],
    EACCES: (t) => [`Permission denied for ${t}`, "check the permissions of the file and its folder"],
    EPERM: (t) => [`Operation not permitted on ${t}`, "check the permissions of the file and its folder"],
    EROFS: (t) => [`${t} is on a read-only file system`, `use a writable location (${storageNote()})`],
    ENOENT: (t) => [`No such file or folder: ${t}`, "check the path"],
    EEXIST: (t) => [`${t} already exists`, "remove it or choose another name"],
    ENAMETOOLONG: (t) => [`The path ${t} is too long`, "use a shorter path"],
    ELOOP: (t) => [`Too many symbolic links in ${t}`, "check the links along the path"],
    EMFILE: (t) => [`Too many open files (opening ${t})`, "close other programs or raise the limit (ulimit -n)"],
    ENFILE: (t) => [`Too many open files on the system (opening ${t})`, "close other programs and try again"],
    EFBIG: (t) => [`${t} would be larger than the file system allows`, "write it to another file system"],
    ENXIO: (t) => [`${t} is a device or pipe nothing is connected to`, "give the path of a regular file"],
    ENOMEM: (t) => [`Out of memory (${t})`, "close other programs or use a smaller model"]
};

/** What went wrong and the fix, for a Node system error; undefined for any other error. */
export function describeSystemError(err: unknown): {message: string, hint: string} | undefined {
    if (!isSystemError(err)) return undefined;
    const target = err.path != null ? (err.dest != null ? `${err.path} -> ${err.dest}` : err.path) : `a file (${err.syscall})`;
    const explain = EXPLANATIONS[err.code];
    if (explain == null) return {message: `${err.code} on ${target}: ${err.message.split("\n")[0]}`, hint: "check the path and try again"};
    const [message, hint] = explain(target);
    return {message, hint};
}
