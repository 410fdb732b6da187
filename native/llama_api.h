// The llama.cpp functions steer-chat calls, resolved at run time from the libllama / libggml-base that
// node-llama-cpp already loaded, and the check that a JS object really is a live node-llama-cpp context.
#pragma once

#include <string>

#include "napi.h"
#include "AddonContext.h"

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

Api& api();

struct Verified {
    llama_context* ctx;
    int32_t nEmbd;
    int32_t nLayer;
    uint32_t nCtx;
};

// Unwraps and checks an AddonContext (LlamaContext._ctx); throws a JS error on anything unexpected.
Verified verifyContext(const Napi::Env& env, const Napi::Value& value, uint32_t expectedNCtx);

Napi::Value CreateCaptureContext(const Napi::CallbackInfo& info);
Napi::Value Capture(const Napi::CallbackInfo& info);
Napi::Value FreeCaptureContext(const Napi::CallbackInfo& info);
Napi::Value CaptureLogits(const Napi::CallbackInfo& info);

}  // namespace steer
