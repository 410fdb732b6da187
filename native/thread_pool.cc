// A persistent ggml CPU thread pool attached to a node-llama-cpp context, as llama.cpp's own tools attach one
// (llama_attach_threadpool with the CPU backend's ggml_threadpool_new). node-llama-cpp attaches none, so every
// llama_decode made ggml create and join its worker threads (ggml_graph_compute builds a disposable pool when the
// context has none): 222 clone3 calls for 200 tokens, and on 2 cores 60x slower than llama-completion.
//
// The pool outlives every decode on its context: JS frees it after disposing the context, or detaches it first when
// it is freed while the context lives on; garbage collection does the same for a handle JS dropped.

#include <algorithm>
#include <string>
#include <thread>

#include "napi.h"
#include "AddonContext.h"
#include "context_check.h"
#include "exports.h"
#include "llama_api.h"
#include "thread_pool.h"

namespace steer {

namespace {

struct AttachedPool {
    ggml_threadpool* pool = nullptr;
    llama_context* ctx = nullptr;  // the llama_context it is attached to
    Napi::ObjectReference owner;    // the AddonContext that owns ctx
};

// The context the pool is attached to, while node-llama-cpp has not freed it.
llama_context* liveContext(napi_env env, AttachedPool* p) {
    if (p->owner.IsEmpty()) return nullptr;
    void* raw = nullptr;
    if (napi_unwrap(env, p->owner.Value(), &raw) != napi_ok || raw == nullptr) return nullptr;
    auto* addon = static_cast<AddonContext*>(raw);
    return !addon->disposed && addon->contextLoaded && addon->ctx == p->ctx ? p->ctx : nullptr;
}

void releasePool(napi_env env, AttachedPool* p) {
    if (p->pool == nullptr) return;
    // a context that lives on must stop using the pool before it is freed (it would run its next decode on it)
    if (llama_context* ctx = liveContext(env, p); ctx != nullptr && api().detach_threadpool != nullptr) api().detach_threadpool(ctx);
    else if (ctx != nullptr) return;  // cannot detach: leaking the pool is the safe choice
    api().threadpool_free(p->pool);
    p->pool = nullptr;
    if (!p->owner.IsEmpty()) p->owner.Reset();
}

void finalizePool(Napi::Env env, AttachedPool* p) {
    releasePool(env, p);
    delete p;
}

}  // namespace

int32_t clampThreads(int32_t threads) {
    return std::clamp(threads, 1, static_cast<int32_t>(std::max(1u, std::thread::hardware_concurrency())));
}

ggml_threadpool* newThreadPool(int32_t threads, int32_t poll) {
    const Api& a = api();
    if (a.threadpool_new == nullptr) return nullptr;
    ggml_threadpool_params params = a.threadpool_params_default(threads);
    params.poll = static_cast<uint32_t>(std::clamp(poll, 0, 100));
    return a.threadpool_new(&params);
}

// attachThreadPool(addonContext, expectedNCtx, threads, poll) -> External (the pool) ; throws when this llama.cpp
// lacks the calls (JS then runs as before, without a pool)
Napi::Value AttachThreadPool(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Verified v = verifyContext(env, info[0], optionalU32(info, 1));
    if (info.Length() < 4 || !info[2].IsNumber() || !info[3].IsNumber())
        throw Napi::TypeError::New(env, "attachThreadPool needs threads and poll numbers");
    const Api& a = api();
    if (a.threadpool_new == nullptr || a.attach_threadpool == nullptr || a.detach_threadpool == nullptr)
        throw Napi::Error::New(env, "this llama.cpp does not export ggml_threadpool_new / llama_attach_threadpool");
    const int32_t threads = clampThreads(info[2].As<Napi::Number>().Int32Value());
    auto* p = new AttachedPool();
    p->pool = newThreadPool(threads, info[3].As<Napi::Number>().Int32Value());
    if (p->pool == nullptr) {
        delete p;
        throw Napi::Error::New(env, "ggml could not create a thread pool of " + std::to_string(threads) + " threads");
    }
    p->ctx = v.ctx;
    p->owner = Napi::Persistent(info[0].As<Napi::Object>());
    a.attach_threadpool(v.ctx, p->pool, p->pool);
    return Napi::External<AttachedPool>::New(env, p, finalizePool);
}

// freeThreadPool(handle): detaches the pool from its context (when that context still lives) and frees it now
Napi::Value FreeThreadPool(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsExternal()) throw Napi::TypeError::New(env, "freeThreadPool needs a thread pool");
    releasePool(env, info[0].As<Napi::External<AttachedPool>>().Data());
    return env.Undefined();
}

}  // namespace steer
