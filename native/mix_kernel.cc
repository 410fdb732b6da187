// The mixing kernel: Σ coefficient × direction, one scaled direction at a time, in float32 as llama.cpp sums it.

#include "napi.h"
#include "exports.h"

namespace steer {

// scaleAdd(out: Float32Array, direction: Float32Array, coefficient) -> undefined: out[i] += direction[i] * coefficient
// in float32, one rounding per operation (binding.gyp turns off FMA contraction), so the result is bit-for-bit the
// JS loop's and llama.cpp's common_control_vector_load's; the compiler vectorises it, which JS cannot.
Napi::Value ScaleAdd(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto isF32 = [](const Napi::Value& value) {
        return value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array;
    };
    if (info.Length() < 3 || !isF32(info[0]) || !isF32(info[1]) || !info[2].IsNumber())
        throw Napi::TypeError::New(env, "scaleAdd needs (Float32Array, Float32Array, number)");
    Napi::Float32Array out = info[0].As<Napi::Float32Array>();
    Napi::Float32Array direction = info[1].As<Napi::Float32Array>();
    if (out.ElementLength() != direction.ElementLength())
        throw Napi::RangeError::New(env, "scaleAdd needs arrays of the same length");
    const float coefficient = static_cast<float>(info[2].As<Napi::Number>().DoubleValue());
    float* o = out.Data();
    const float* d = direction.Data();
    const size_t n = out.ElementLength();
    for (size_t i = 0; i < n; i++) {
        const float product = d[i] * coefficient;
        o[i] = o[i] + product;
    }
    return env.Undefined();
}

}  // namespace steer
