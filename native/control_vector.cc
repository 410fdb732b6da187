// Sets or clears the control vector of a node-llama-cpp context through llama_set_adapter_cvec.

#include <string>

#include "context_check.h"
#include "exports.h"

namespace steer {

// setControlVector(addonContext, expectedNCtx, data: Float32Array | null, nEmbd, ilStart, ilEnd) -> undefined
// data holds layers 1..n of n_embd floats each, as llama_set_adapter_cvec expects; null clears the vector.
Napi::Value SetControlVector(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Verified v = verifyContext(env, info[0], optionalU32(info, 1));
    if (info.Length() < 3 || info[2].IsNull() || info[2].IsUndefined()) {
        if (api().set_adapter_cvec(v.ctx, nullptr, 0, v.nEmbd, -1, -1) != 0)
            throw Napi::Error::New(env, "llama_set_adapter_cvec failed to clear the control vector");
        return env.Undefined();
    }
    if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
        throw Napi::TypeError::New(env, "control vector data must be a Float32Array");
    if (info.Length() < 6 || !info[3].IsNumber() || !info[4].IsNumber() || !info[5].IsNumber())
        throw Napi::TypeError::New(env, "setControlVector needs nEmbd, ilStart and ilEnd numbers");
    Napi::Float32Array data = info[2].As<Napi::Float32Array>();
    int32_t nEmbd = info[3].As<Napi::Number>().Int32Value();
    int32_t ilStart = info[4].As<Napi::Number>().Int32Value();
    int32_t ilEnd = info[5].As<Napi::Number>().Int32Value();
    if (nEmbd != v.nEmbd)
        throw Napi::Error::New(env, "control vector n_embd " + std::to_string(nEmbd) + " does not match the model's " + std::to_string(v.nEmbd));
    if (data.ElementLength() % static_cast<size_t>(nEmbd) != 0)
        throw Napi::Error::New(env, "control vector data length is not a multiple of n_embd");
    if (ilStart < 1 || ilEnd < ilStart || ilEnd >= v.nLayer + 1)
        throw Napi::RangeError::New(env, "control vector layer range " + std::to_string(ilStart) + "-" + std::to_string(ilEnd) +
            " is outside the model's layers 1-" + std::to_string(v.nLayer));
    if (api().set_adapter_cvec(v.ctx, data.Data(), data.ElementLength(), nEmbd, ilStart, ilEnd) != 0)
        throw Napi::Error::New(env, "llama_set_adapter_cvec rejected the control vector");
    return env.Undefined();
}

}  // namespace steer
