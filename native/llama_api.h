// The llama.cpp functions steer-chat calls: a table filled at run time from the libllama / libggml-base /
// libggml-cpu that node-llama-cpp already loaded (library_lookup.cc), never linked.
#pragma once

#include <string>

#include "llama.h"

namespace steer {

struct Api {
    std::string libraryPath;
    std::string error;         // set when steering cannot work at all
    std::string captureError;  // set when hidden-state capture cannot work (steering may still)

    uint32_t (*n_ctx)(const llama_context*) = nullptr;
    const llama_model* (*get_model)(const llama_context*) = nullptr;
    int32_t (*model_n_embd)(const llama_model*) = nullptr;
    int32_t (*model_n_layer)(const llama_model*) = nullptr;
    int32_t (*set_adapter_cvec)(llama_context*, const float*, size_t, int32_t, int32_t, int32_t) = nullptr;

    llama_context_params (*context_default_params)() = nullptr;
    llama_context* (*init_from_model)(llama_model*, llama_context_params) = nullptr;
    void (*free_ctx)(llama_context*) = nullptr;
    int32_t (*decode)(llama_context*, llama_batch) = nullptr;
    llama_batch (*batch_init)(int32_t, int32_t, int32_t) = nullptr;
    void (*batch_free)(llama_batch) = nullptr;
    llama_memory_t (*get_memory)(const llama_context*) = nullptr;
    void (*memory_clear)(llama_memory_t, bool) = nullptr;
    void (*tensor_get)(const ggml_tensor*, void*, size_t, size_t) = nullptr;
    float* (*get_logits_ith)(llama_context*, int32_t) = nullptr;
    const llama_vocab* (*model_get_vocab)(const llama_model*) = nullptr;
    int32_t (*vocab_n_tokens)(const llama_vocab*) = nullptr;

    // a persistent CPU threadpool for the capture context (optional: without it capture runs on one thread)
    ggml_threadpool_params (*threadpool_params_default)(int) = nullptr;
    ggml_threadpool* (*threadpool_new)(ggml_threadpool_params*) = nullptr;
    void (*threadpool_free)(ggml_threadpool*) = nullptr;
    void (*attach_threadpool)(llama_context*, ggml_threadpool*, ggml_threadpool*) = nullptr;
};

// The table, resolved on first use; `error` / `captureError` say what is missing.
Api& api();

}  // namespace steer
