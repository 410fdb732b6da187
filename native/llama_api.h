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
    uint32_t (*n_seq_max)(const llama_context*) = nullptr;
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

    // the generation loop (generate.cc): optional, generation goes through node-llama-cpp without it
    uint32_t (*n_batch)(const llama_context*) = nullptr;
    bool (*vocab_is_eog)(const llama_vocab*, llama_token) = nullptr;
    llama_sampler_chain_params (*sampler_chain_default_params)() = nullptr;
    llama_sampler* (*sampler_chain_init)(llama_sampler_chain_params) = nullptr;
    void (*sampler_chain_add)(llama_sampler*, llama_sampler*) = nullptr;
    llama_sampler* (*sampler_init_greedy)() = nullptr;
    llama_sampler* (*sampler_init_dist)(uint32_t) = nullptr;
    llama_sampler* (*sampler_init_top_k)(int32_t) = nullptr;
    llama_sampler* (*sampler_init_top_p)(float, size_t) = nullptr;
    llama_sampler* (*sampler_init_min_p)(float, size_t) = nullptr;
    llama_sampler* (*sampler_init_temp)(float) = nullptr;
    void (*sampler_apply)(llama_sampler*, llama_token_data_array*) = nullptr;
    void (*sampler_free)(llama_sampler*) = nullptr;
    std::string generateError;  // set when the generation loop cannot work
    // the batched loop (generate_batch.cc) also empties a sequence itself
    bool (*memory_seq_rm)(llama_memory_t, llama_seq_id, llama_pos, llama_pos) = nullptr;
    std::string batchError;  // set when the batched loop cannot work

    // a persistent CPU thread pool for every context steer-chat runs (optional: without it ggml starts threads per decode)
    ggml_threadpool_params (*threadpool_params_default)(int) = nullptr;
    ggml_threadpool* (*threadpool_new)(ggml_threadpool_params*) = nullptr;
    void (*threadpool_free)(ggml_threadpool*) = nullptr;
    void (*attach_threadpool)(llama_context*, ggml_threadpool*, ggml_threadpool*) = nullptr;
    void (*detach_threadpool)(llama_context*) = nullptr;
};

// The table, resolved on first use; `error` / `captureError` say what is missing.
Api& api();

}  // namespace steer
