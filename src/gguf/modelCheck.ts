/**
 * The one check a model passes before llama.cpp sees it: its header read as llama.cpp reads it (ggufHeaderCheck.ts:
 * keys and strings as C strings), then its hyper-parameters, its tensors against them, its vocabulary and its chat
 * template, each for what would abort the process (GGML_ASSERT, an uncaught C++ exception) or break node-llama-cpp
 * instead of failing the load with an error. Pure.
 */
import type {GgufHeader} from "./ggufHeaderCheck.js";
import {hyperparameterProblem} from "./modelHyperparameters.js";
import {tensorProblem} from "./tensorShapes.js";
import {vocabularyProblem} from "./vocabularyCheck.js";

export type ModelProblem = {part: "hyper-parameter" | "tensor" | "vocabulary" | "chat template", problem: string};

const GGUF_TYPE_NAMES: Record<number, string> = {0: "a u8", 1: "an i8", 2: "a u16", 3: "an i16", 4: "a u32", 5: "an i32",
    6: "an f32", 7: "a bool", 9: "an array", 10: "a u64", 11: "an i64", 12: "an f64"};

/** node-llama-cpp calls .trim() on the template: anything but a string ends the process with a TypeError */
function chatTemplateProblem(header: Pick<GgufHeader, "metadata">): string | undefined {
    const template = header.metadata.get("tokenizer.chat_template");
    if (template == null || template.kind === "string") return undefined;
    const type = template.kind === "number" ? template.ggufType : template.kind === "bool" ? 7 : 9;
    return `tokenizer.chat_template is ${GGUF_TYPE_NAMES[type] ?? "a non-text value"}, not text`;
}

export function modelProblem(header: Pick<GgufHeader, "metadata" | "tensors" | "dataStart">): ModelProblem | undefined {
    const hyperparameter = hyperparameterProblem(header);
    if (hyperparameter != null) return {part: "hyper-parameter", problem: hyperparameter};
    const architecture = header.metadata.get("general.architecture");
    const arch = architecture?.kind === "string" ? architecture.value : "";
    if (arch !== "clip") {
        const tensors = tensorProblem(header.metadata, header.tensors, arch);
        if (tensors != null) return {part: "tensor", problem: tensors};
        const vocabulary = vocabularyProblem(header.metadata, arch);
        if (vocabulary != null) return {part: "vocabulary", problem: vocabulary};
    }
    const template = chatTemplateProblem(header);
    return template == null ? undefined : {part: "chat template", problem: template};
}
