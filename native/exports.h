// The functions the helper exports to JS, registered by module.cc; src/native/loader.ts types them.
#pragma once

#include "napi.h"

namespace steer {

// context_check.cc
Napi::Value ContextInfo(const Napi::CallbackInfo& info);
// control_vector.cc
Napi::Value SetControlVector(const Napi::CallbackInfo& info);
// mix_kernel.cc
Napi::Value ScaleAdd(const Napi::CallbackInfo& info);
// capture.cc
Napi::Value CreateCaptureContext(const Napi::CallbackInfo& info);
Napi::Value Capture(const Napi::CallbackInfo& info);
Napi::Value FreeCaptureContext(const Napi::CallbackInfo& info);
Napi::Value CaptureLogits(const Napi::CallbackInfo& info);
// generate.cc
Napi::Value Generate(const Napi::CallbackInfo& info);
// generate_batch.cc
Napi::Value StartBatch(const Napi::CallbackInfo& info);
Napi::Value BatchStats(const Napi::CallbackInfo& info);
// thread_pool.cc
Napi::Value AttachThreadPool(const Napi::CallbackInfo& info);
Napi::Value FreeThreadPool(const Napi::CallbackInfo& info);

}  // namespace steer
