// steer-chat's native helper: reaches the llama_context behind a node-llama-cpp LlamaContext and calls llama.cpp's
// control-vector API on it. llama.cpp symbols are resolved with dlsym from the libllama node-llama-cpp already
// loaded (RTLD_NOLOAD), so no second copy of llama.cpp is ever linked or loaded.
//
// Safety: every call unwraps the JS object, checks it is an AddonContext, that it is not disposed, that the
// llama_context pointer is readable memory, and that llama_n_ctx / llama_model_n_embd agree with what JS expects.
// Anything off throws a JS error instead of touching the pointer.

#include <dlfcn.h>
#include <unistd.h>
#if defined(__APPLE__)
#include <mach-o/dyld.h>
#else
#include <link.h>
#endif
#include <cerrno>
#include <cstring>
#include <string>

#include "llama_api.h"

namespace steer {

namespace {

struct FoundLibraries {
    std::string llama;
    std::string ggmlBase;
    std::string ggmlCpu;
};

void noteLibrary(const char* name, FoundLibraries* out) {
    if (name == nullptr) return;
    const char* base = std::strrchr(name, '/');
    base = base == nullptr ? name : base + 1;
    if (std::strncmp(base, "libllama", 8) == 0 && std::strncmp(base, "libllama-common", 15) != 0 && out->llama.empty()) out->llama = name;
    if (std::strncmp(base, "libggml-base", 12) == 0 && out->ggmlBase.empty()) out->ggmlBase = name;
    if (std::strncmp(base, "libggml-cpu", 11) == 0 && out->ggmlCpu.empty()) out->ggmlCpu = name;
}

// The shared libraries already loaded in this process (node-llama-cpp's among them).
FoundLibraries findLoadedLibraries() {
    FoundLibraries libs;
#if defined(__APPLE__)
    for (uint32_t i = 0, n = _dyld_image_count(); i < n; i++) noteLibrary(_dyld_get_image_name(i), &libs);
#else
    dl_iterate_phdr([](struct dl_phdr_info* info, size_t, void* data) {
        noteLibrary(info->dlpi_name, static_cast<FoundLibraries*>(data));
        return 0;
    }, &libs);
#endif
    return libs;
}

template <typename T>
void resolve(void* handle, const char* symbol, T& target, std::string& missing) {
    target = reinterpret_cast<T>(dlsym(handle, symbol));
    if (target == nullptr) missing += std::string(missing.empty() ? "" : ", ") + symbol;
}

}  // namespace

Api& api() {
    static Api instance = [] {
        Api a;
        FoundLibraries libs = findLoadedLibraries();
        a.libraryPath = libs.llama;
        if (libs.llama.empty()) {
            a.error = a.captureError = "node-llama-cpp's libllama is not loaded in this process (load a model first)";
            return a;
        }
        // RTLD_NOLOAD: only take a handle to the copy that is already there, never load a second one
        void* llama = dlopen(libs.llama.c_str(), RTLD_NOW | RTLD_NOLOAD);
        if (llama == nullptr) {
            a.error = a.captureError = "dlopen(RTLD_NOLOAD) failed for " + libs.llama;
            return a;
        }
        std::string missing;
        resolve(llama, "llama_n_ctx", a.n_ctx, missing);
        resolve(llama, "llama_get_model", a.get_model, missing);
        resolve(llama, "llama_model_n_embd", a.model_n_embd, missing);
        resolve(llama, "llama_model_n_layer", a.model_n_layer, missing);
        resolve(llama, "llama_set_adapter_cvec", a.set_adapter_cvec, missing);
        if (!missing.empty()) {
            a.error = a.captureError = libs.llama + " lacks " + missing;
            return a;
        }
        resolve(llama, "llama_context_default_params", a.context_default_params, missing);
        resolve(llama, "llama_init_from_model", a.init_from_model, missing);
        resolve(llama, "llama_free", a.free_ctx, missing);
        resolve(llama, "llama_decode", a.decode, missing);
        resolve(llama, "llama_batch_init", a.batch_init, missing);
        resolve(llama, "llama_batch_free", a.batch_free, missing);
        resolve(llama, "llama_get_memory", a.get_memory, missing);
        resolve(llama, "llama_memory_clear", a.memory_clear, missing);
        resolve(llama, "llama_get_logits_ith", a.get_logits_ith, missing);
        resolve(llama, "llama_model_get_vocab", a.model_get_vocab, missing);
        resolve(llama, "llama_vocab_n_tokens", a.vocab_n_tokens, missing);
        void* ggml = libs.ggmlBase.empty() ? nullptr : dlopen(libs.ggmlBase.c_str(), RTLD_NOW | RTLD_NOLOAD);
        if (ggml != nullptr) resolve(ggml, "ggml_backend_tensor_get", a.tensor_get, missing);
        else missing += ", libggml-base";
        if (!missing.empty()) a.captureError = "hidden-state capture needs " + missing + ", missing from node-llama-cpp's llama.cpp";

        // optional: without these, capture falls back to a single thread
        std::string optional;
        void* ggmlCpu = libs.ggmlCpu.empty() ? nullptr : dlopen(libs.ggmlCpu.c_str(), RTLD_NOW | RTLD_NOLOAD);
        resolve(llama, "llama_attach_threadpool", a.attach_threadpool, optional);
        if (ggml != nullptr) resolve(ggml, "ggml_threadpool_params_default", a.threadpool_params_default, optional);
        if (ggmlCpu != nullptr) {
            resolve(ggmlCpu, "ggml_threadpool_new", a.threadpool_new, optional);
            resolve(ggmlCpu, "ggml_threadpool_free", a.threadpool_free, optional);
        }
        if (!optional.empty() || ggmlCpu == nullptr) a.threadpool_new = nullptr;
        return a;
    }();
    return instance;
}

namespace {

// True when [ptr, ptr+len) can be read: write() reports EFAULT instead of crashing on unmapped memory.
bool isReadable(const void* ptr, size_t len) {
    if (ptr == nullptr) return false;
    int fds[2];
    if (pipe(fds) != 0) return false;
    ssize_t written = write(fds[1], ptr, len);
    int err = errno;
    close(fds[0]);
    close(fds[1]);
    return written == static_cast<ssize_t>(len) || (written < 0 && err != EFAULT);
}

constexpr uint32_t kMaxContextPadding = 1024;

}  // namespace

Verified verifyContext(const Napi::Env& env, const Napi::Value& value, uint32_t expectedNCtx) {
    Api& a = api();
    if (!a.error.empty()) throw Napi::Error::New(env, a.error);
    if (!value.IsObject()) throw Napi::TypeError::New(env, "expected a node-llama-cpp AddonContext object");
    Napi::Object obj = value.As<Napi::Object>();
    Napi::Value ctor = obj.Get("constructor");
    std::string ctorName = ctor.IsFunction() ? ctor.As<Napi::Object>().Get("name").ToString().Utf8Value() : "";
    if (ctorName != "AddonContext")
        throw Napi::TypeError::New(env, "expected a node-llama-cpp AddonContext object, got " + (ctorName.empty() ? std::string("another object") : ctorName));

    void* raw = nullptr;
    if (napi_unwrap(env, obj, &raw) != napi_ok || raw == nullptr)
        throw Napi::Error::New(env, "the AddonContext object wraps no native context");
    auto* addon = static_cast<AddonContext*>(raw);
    if (!isReadable(addon, sizeof(AddonContext)))
        throw Napi::Error::New(env, "the AddonContext native object is not readable (incompatible node-llama-cpp build?)");
    if (addon->disposed || !addon->contextLoaded || addon->ctx == nullptr)
        throw Napi::Error::New(env, "the llama context is disposed or not loaded");
    if (!isReadable(addon->ctx, 64))
        throw Napi::Error::New(env, "the llama_context pointer is not readable (incompatible node-llama-cpp build?)");

    uint32_t nCtx = a.n_ctx(addon->ctx);
    // llama.cpp pads the context it allocates (a requested 32 becomes 256), so n_ctx may exceed what JS asked for
    if (expectedNCtx != 0 && (nCtx < expectedNCtx || nCtx - expectedNCtx >= kMaxContextPadding))
        throw Napi::Error::New(env, "llama_context check failed: n_ctx is " + std::to_string(nCtx) + ", expected " +
            std::to_string(expectedNCtx) + " (incompatible node-llama-cpp build?)");
    const llama_model* model = a.get_model(addon->ctx);
    if (!isReadable(model, 64)) throw Napi::Error::New(env, "llama_get_model returned an unreadable pointer");
    return Verified{addon->ctx, a.model_n_embd(model), a.model_n_layer(model), nCtx};
}

namespace {

uint32_t optionalU32(const Napi::CallbackInfo& info, size_t index) {
    return info.Length() > index && info[index].IsNumber() ? info[index].As<Napi::Number>().Uint32Value() : 0;
}

// contextInfo(addonContext, expectedNCtx) -> {nCtx, nEmbd, nLayer, library}
Napi::Value ContextInfo(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Verified v = verifyContext(env, info[0], optionalU32(info, 1));
    Napi::Object out = Napi::Object::New(env);
    out.Set("nCtx", Napi::Number::New(env, v.nCtx));
    out.Set("nEmbd", Napi::Number::New(env, v.nEmbd));
    out.Set("nLayer", Napi::Number::New(env, v.nLayer));
    out.Set("library", Napi::String::New(env, api().libraryPath));
    out.Set("captureError", Napi::String::New(env, api().captureError));
    const Api& a = api();
    out.Set("nVocab", Napi::Number::New(env, a.vocab_n_tokens != nullptr && a.model_get_vocab != nullptr
        ? a.vocab_n_tokens(a.model_get_vocab(a.get_model(v.ctx))) : 0));
    return out;
}

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

}  // namespace

}  // namespace steer

#ifndef STEER_NLC_VERSION
#define STEER_NLC_VERSION "unknown"
#endif
#ifndef STEER_NATIVE_SOURCE
#define STEER_NATIVE_SOURCE "unknown"
#endif

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
    // what this build is for: the loader refuses it next to another node-llama-cpp (AddonContext's layout differs)
    Napi::Object builtFor = Napi::Object::New(env);
    builtFor.Set("nodeLlamaCpp", STEER_NLC_VERSION);
    builtFor.Set("source", STEER_NATIVE_SOURCE);
    exports.Set("builtFor", builtFor);
    exports.Set("contextInfo", Napi::Function::New(env, steer::ContextInfo));
    exports.Set("setControlVector", Napi::Function::New(env, steer::SetControlVector));
    exports.Set("scaleAdd", Napi::Function::New(env, steer::ScaleAdd));
    exports.Set("createCaptureContext", Napi::Function::New(env, steer::CreateCaptureContext));
    exports.Set("capture", Napi::Function::New(env, steer::Capture));
    exports.Set("freeCaptureContext", Napi::Function::New(env, steer::FreeCaptureContext));
    exports.Set("captureLogits", Napi::Function::New(env, steer::CaptureLogits));
    return exports;
}

NODE_API_MODULE(steer_native, Init)
