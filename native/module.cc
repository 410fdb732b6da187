// steer-chat's native helper: reaches the llama_context behind a node-llama-cpp LlamaContext and calls llama.cpp's
// control-vector API on it (library_lookup.cc, context_check.cc, control_vector.cc), mixes vectors (mix_kernel.cc)
// and captures hidden states on a second context (capture.cc). This file registers what JS sees.

#include "napi.h"
#include "exports.h"

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
    exports.Set("generate", Napi::Function::New(env, steer::Generate));
    exports.Set("startBatch", Napi::Function::New(env, steer::StartBatch));
    exports.Set("batchStats", Napi::Function::New(env, steer::BatchStats));
    exports.Set("attachThreadPool", Napi::Function::New(env, steer::AttachThreadPool));
    exports.Set("freeThreadPool", Napi::Function::New(env, steer::FreeThreadPool));
    return exports;
}

NODE_API_MODULE(steer_native, Init)
