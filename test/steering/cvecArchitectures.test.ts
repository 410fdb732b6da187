import fs from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {architectureSteeringWarning, CVEC_ARCHITECTURES} from "../../src/steering/cvecArchitectures.js";
// @ts-expect-error: a plain .mjs script without type declarations
import {bundledLlamaSourceDir, listCvecArchitectures} from "../../scripts/list-cvec-architectures.mjs";

const sourceDir: string = bundledLlamaSourceDir();
const haveSource = fs.existsSync(path.join(sourceDir, "models", "models.h"));

describe("which architectures llama.cpp steers", () => {
    it("the shipped list equals what the bundled llama.cpp source builds", () => {
        // npm install puts the source there: where it is missing the check fails rather than passing with nothing checked
        expect(haveSource, `llama.cpp's source is missing from ${sourceDir}: run npx --no node-llama-cpp source download --skipBuild`).toBe(true);
        const fromSource: string[] = listCvecArchitectures(sourceDir);
        expect([...CVEC_ARCHITECTURES].sort()).toEqual(fromSource);
    });

    it("uses GGUF architecture names, including those whose source file is named differently", () => {
        // general.architecture values of real models; gpt-oss is built by models/openai-moe.cpp, glm4moe by glm4-moe.cpp
        for (const name of ["llama", "qwen2", "gemma3", "gpt-oss", "glm4moe", "granitehybrid", "nemotron_h", "seed_oss"])
            expect(architectureSteeringWarning(name), name).toBeUndefined();
    });

    it("warns for architectures whose graph never adds the vector", () => {
        for (const name of ["bert", "nomic-bert", "qwen4exp", "openai-moe", "made-up-arch"])
            expect(architectureSteeringWarning(name), name).toMatch(new RegExp(`"${name}" architecture; steering will have no effect`));
    });
});
