import {defineConfig} from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.{ts,tsx}"],
        // model-loading suites run one file at a time: llama.cpp's spin-waiting threads on 2 cores slow each other
        // down badly when several models compute at once
        fileParallelism: false,
        // one llama.cpp thread per model (the default --threads, see runtime.ts): ggml's threads spin while they wait, and
        // two of them per model on a 2-core machine shared with other work made a 1 s test take minutes
        env: {STEER_CHAT_THREADS: "1"},
        testTimeout: 120_000,
        hookTimeout: 120_000
    }
});
