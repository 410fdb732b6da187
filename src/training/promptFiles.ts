/**
 * Prompt files as llama.cpp's cvector-generator takes them: one prompt a line, blank lines skipped, and escapes
 * such as `\n` turned into the characters they stand for.
 */
import {UserFacingError} from "../errors.js";
import {readRegularFile} from "../engine/userFiles.js";

export function unescapePrompt(line: string): string {
    return line.replace(/\\(n|t|r|\\|"|')/g, (_, c: string) => ({n: "\n", t: "\t", r: "\r", "\\": "\\", '"': '"', "'": "'"})[c]!);
}

export function parsePromptLines(text: string): string[] {
    return text.split(/\r?\n/).filter((line) => line.trim() !== "").map(unescapePrompt);
}

export function readPromptFile(file: string): string[] {
    const text = readRegularFile(file, "Prompt file",
        () => new UserFacingError(`Prompt file not found: ${file}`, "pass a text file with one prompt a line")).toString("utf8");
    const prompts = parsePromptLines(text);
    if (prompts.length === 0) throw new UserFacingError(`Prompt file ${file} has no prompts`, "write one prompt a line");
    return prompts;
}
