// The check every call makes before it touches a node-llama-cpp context: that a JS object really is a live
// AddonContext whose llama_context is readable and has the shape JS expects.
#pragma once

#include <cstdint>
#include <string>

#include "napi.h"
#include "llama_api.h"

namespace steer {

struct Verified {
    llama_context* ctx;
    int32_t nEmbd;
    int32_t nLayer;
    uint32_t nCtx;
};

// Unwraps and checks an AddonContext (LlamaContext._ctx); throws a JS error on anything unexpected.
Verified verifyContext(const Napi::Env& env, const Napi::Value& value, uint32_t expectedNCtx);

// info[index] as a uint32 when it is a number, else 0 (the expectedNCtx argument: 0 checks no size).
uint32_t optionalU32(const Napi::CallbackInfo& info, size_t index);

// options[name] when it is a number, else `fallback`.
double numberField(const Napi::Object& o, const char* name, double fallback);

// options.input: an Int32Array of at least one token, each in the context's vocabulary (generate and a batch member's
// prompt); `who` names the caller in the errors thrown otherwise.
Napi::Int32Array inputTokens(const Napi::Env& env, const Napi::Object& options, llama_context* ctx, const std::string& who);

}  // namespace steer
