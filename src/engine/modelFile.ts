import path from "node:path";
import {UserFacingError} from "../errors.js";
import {startsWith, statRegularFile} from "./userFiles.js";

const GGUF_MAGIC = Buffer.from("GGUF", "ascii");

/** Checks that a model path exists and is a GGUF file before node-llama-cpp sees it, so errors name the file. */
export function checkModelFile(modelPath: string): string {
    const resolved = path.resolve(modelPath);
    if (statRegularFile(resolved, "Model path") == null)
        throw new UserFacingError(`Model file not found: ${modelPath}`,
            "pass an existing .gguf file with --model, or run steer-chat without --model to pick one");
    if (!startsWith(resolved, GGUF_MAGIC, "Model path"))
        throw new UserFacingError(`Not a GGUF model file: ${modelPath}`,
            "steer-chat loads llama.cpp GGUF models; convert it with llama.cpp's convert_hf_to_gguf.py or download a .gguf");
    return resolved;
}
