import {defineConfig} from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.{ts,tsx}"],
        // model-loading suites run one file at a time: llama.cpp's spin-waiting threads on 2 cores slow each other
        // down badly when several models compute at once
        fileParallelism: false,
        testTimeout: 120_000,
        hookTimeout: 120_000
    }
});
