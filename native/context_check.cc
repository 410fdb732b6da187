// Checks a JS object is a live node-llama-cpp context before anything touches it (verifyContext), and contextInfo,
// which reports what the check found.
//
// Safety: every call unwraps the JS object, checks it is an AddonContext, that it is not disposed, that the
// llama_context pointer is readable memory, and that llama_n_ctx / llama_model_n_embd agree with what JS expects.
// Anything off throws a JS error instead of touching the pointer.

#include <unistd.h>
#include <cerrno>
#include <string>

#include "AddonContext.h"
#include "context_check.h"
#include "exports.h"

namespace steer {

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

uint32_t optionalU32(const Napi::CallbackInfo& info, size_t index) {
    return info.Length() > index && info[index].IsNumber() ? info[index].As<Napi::Number>().Uint32Value() : 0;
}

// contextInfo(addonContext, expectedNCtx) -> {nCtx, nEmbd, nLayer, library, captureError, nVocab}
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

double numberField(const Napi::Object& o, const char* name, double fallback) {
    Napi::Value v = o.Get(name);
    return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
}

Napi::Int32Array inputTokens(const Napi::Env& env, const Napi::Object& options, llama_context* ctx, const std::string& who) {
    Napi::Value inputValue = options.Get("input");
    if (!inputValue.IsTypedArray() || inputValue.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
        throw Napi::TypeError::New(env, "input must be an Int32Array");
    Napi::Int32Array input = inputValue.As<Napi::Int32Array>();
    const int32_t nVocab = api().vocab_n_tokens(api().model_get_vocab(api().get_model(ctx)));
    for (size_t i = 0; i < input.ElementLength(); i++)
        if (input[i] < 0 || input[i] >= nVocab) throw Napi::RangeError::New(env, "input token " + std::to_string(input[i]) + " is outside the vocabulary");
    if (input.ElementLength() == 0) throw Napi::RangeError::New(env, who + " needs at least one input token");
    return input;
}

}  // namespace steer
