// The CPU thread pools steer-chat attaches to its llama contexts (thread_pool.cc).
#pragma once

#include <cstdint>

#include "llama_api.h"

namespace steer {

// A ggml CPU thread pool of `threads` threads whose idle workers poll for `poll` (0-100, ggml's scale) before they
// sleep; nullptr when this llama.cpp lacks the calls or ggml fails.
ggml_threadpool* newThreadPool(int32_t threads, int32_t poll);

// `threads` within 1 and the CPU count: more threads than CPUs only slow ggml down (100000 started thousands)
int32_t clampThreads(int32_t threads);

}  // namespace steer
