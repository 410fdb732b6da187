/**
 * Reads a control-vector GGUF from disk: node-llama-cpp's readGgufFileInfo parses the header (metadata and tensor
 * infos with their fileOffsets), then each direction's floats are read at its offset. Every problem becomes one
 * UserFacingError naming the file and what is wrong.
 */
import {closeSync, readSync} from "node:fs";
import {readGgufFileInfo} from "node-llama-cpp";
import {writeFileAtomic} from "../engine/atomicWrite.js";
import {UserFacingError} from "../errors.js";
import {namingFile, openRegularFile, readRegularFile, statRegularFile} from "../engine/userFiles.js";
import {checkGgufStructure} from "../gguf/ggufHeaderCheck.js";
import {ControlVectorFormatError, encodeControlVector, parseControlVector, type ControlVector} from "./controlVector.js";

/** 80 layers × 16384 floats is 5 MB; anything past this is not a control vector */
const MAX_VECTOR_FILE_BYTES = 256 * 1024 * 1024;

export async function loadControlVector(file: string): Promise<ControlVector> {
    const notFound = () => new UserFacingError(`Control vector not found: ${file}`, "check the path, or run steer-chat vectors to list the available vectors");
    const stat = statRegularFile(file, "Control vector");
    if (stat == null) throw notFound();
    const size = stat.size;
    const fail = (problem: string) => new UserFacingError(`Bad control vector ${file}: ${problem}`,
        "use a control vector made by llama.cpp's cvector-generator, repeng's export_gguf or steer-chat train");
    if (size > MAX_VECTOR_FILE_BYTES) throw fail(`it is ${size} bytes, far larger than any control vector`);
    // control vectors are small (layers × n_embd floats), so the whole file is checked in memory before parsing
    const structureProblem = checkGgufStructure(readRegularFile(file, "Control vector", notFound, {maxBytes: MAX_VECTOR_FILE_BYTES}));
    if (structureProblem) throw fail(structureProblem);
    let info;
    try {
        info = await readGgufFileInfo(file, {sourceType: "filesystem", logWarnings: false, spliceSplitFiles: false});
    } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        throw fail(/magic/i.test(message) ? "it is not a GGUF file" : `its GGUF header cannot be read (${message.split("\n")[0]}; truncated or corrupt?)`);
    }
    // node-llama-cpp's reader does not notice a header cut short: it reads past the end as zeros
    if (info.infoEndOffset != null && info.infoEndOffset > size) throw fail("its header runs past the end of the file (truncated?)");
    const dataFd = openRegularFile(file, "Control vector");
    try {
        return parseControlVector(file, info.metadata as unknown as Record<string, unknown>, info.tensorInfo ?? [],
            (offset, byteLength) => {
                const buf = Buffer.alloc(byteLength);
                const read = namingFile(file, () => readSync(dataFd, buf, 0, byteLength, offset));
                return buf.subarray(0, read);
            }, size);
    } catch (err) {
        if (err instanceof ControlVectorFormatError) throw new UserFacingError(err.message, "re-create or re-download the vector file");
        throw err;
    } finally {
        closeSync(dataFd);
    }
}

/** Writes a vector in llama.cpp's format, atomically (a failed write leaves no partial file; a link is replaced, not followed). */
export function saveControlVector(file: string, vector: ControlVector) {
    writeFileAtomic(file, encodeControlVector(vector), {createFolder: true});
}
