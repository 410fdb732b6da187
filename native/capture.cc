// Hidden-state capture for training steering vectors: a second llama_context on the loaded llama_model with a
// cb_eval callback that copies the `l_out-N` tensors (each block's output), as llama.cpp's cvector-generator does.
// Evaluation runs on a worker thread (Napi::AsyncWorker); JS drives the prompts, so it reports progress and can
// stop between them.

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "napi.h"
#include "AddonContext.h"
#include "AddonModel.h"
#include "context_check.h"
#include "exports.h"
#include "llama_api.h"

namespace steer {

struct CaptureContext {
    llama_context* ctx = nullptr;
    // the node-llama-cpp AddonContext this capture was made from: checked before every capture, because the
    // capture context runs on that context's model, which node-llama-cpp frees when the model is disposed
    Napi::ObjectReference owner;
    ggml_threadpool* threadpool = nullptr;
    int32_t nEmbd = 0;
    int32_t nLayer = 0;
    uint32_t nCtx = 0;
    std::atomic<bool> busy{false};
    // the control vector now set on this context (empty: none); setting one makes llama.cpp re-reserve its compute
    // graph on the next decode, so it is only set when it changes
    std::vector<float> appliedCvec;
    int32_t appliedStart = -1, appliedEnd = -1;
    // per layer, the rows of the current evaluation (n_rows × n_embd floats, row-major)
    std::vector<std::vector<float>> layers;
    // false while evaluating for logits only: the callback then asks for no tensor, so the graph runs in one piece
    bool wantLayers = true;
    bool failed = false;
    std::string failure;
};

static bool captureCallback(ggml_tensor* t, bool ask, void* userData) {
    auto* cc = static_cast<CaptureContext*>(userData);
    int layer = -1;
    const bool isLayerOutput = std::sscanf(t->name, "l_out-%d", &layer) == 1;
    if (ask) return isLayerOutput && cc->wantLayers;
    if (!cc->wantLayers) return true;
    if (!isLayerOutput || layer < 0 || layer >= cc->nLayer) return true;
    if (t->type != GGML_TYPE_F32 || t->ne[0] != cc->nEmbd || t->nb[1] != static_cast<size_t>(cc->nEmbd) * sizeof(float)) {
        cc->failed = true;
        cc->failure = std::string("unexpected layout of ") + t->name;
        return false;
    }
    auto& rows = cc->layers[layer];
    const size_t offset = rows.size();
    const size_t count = static_cast<size_t>(t->ne[0]) * static_cast<size_t>(t->ne[1]);
    rows.resize(offset + count);
    api().tensor_get(t, rows.data() + offset, 0, count * sizeof(float));
    return true;
}

// False once node-llama-cpp disposed the context this capture was made from (and maybe its model with it).
static bool ownerAlive(napi_env env, CaptureContext* cc) {
    if (cc->owner.IsEmpty()) return false;
    void* raw = nullptr;
    if (napi_unwrap(env, cc->owner.Value(), &raw) != napi_ok || raw == nullptr) return false;
    auto* addon = static_cast<AddonContext*>(raw);
    return !addon->disposed && addon->contextLoaded && addon->ctx != nullptr;
}

static void releaseCapture(napi_env env, CaptureContext* cc) {
    // llama_free reads the model (llama_context's destructor looks at its hparams): after the model was disposed,
    // leaking the small capture context is the safe choice
    const bool modelAlive = ownerAlive(env, cc);
    if (!cc->owner.IsEmpty()) cc->owner.Reset();
    if (cc->ctx != nullptr && modelAlive) api().free_ctx(cc->ctx);
    cc->ctx = nullptr;
    if (cc->threadpool != nullptr) api().threadpool_free(cc->threadpool);
    cc->threadpool = nullptr;
}

static void finalizeCapture(Napi::Env env, CaptureContext* cc) {
    releaseCapture(env, cc);
    delete cc;
}

// createCaptureContext(addonContext, expectedNCtx, maxTokens, threads) -> External<CaptureContext>
Napi::Value CreateCaptureContext(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Verified v = verifyContext(env, info[0], optionalU32(info, 1));
    if (!api().captureError.empty()) throw Napi::Error::New(env, api().captureError);
    if (info.Length() < 4 || !info[2].IsNumber() || !info[3].IsNumber())
        throw Napi::TypeError::New(env, "createCaptureContext needs maxTokens and threads");
    const uint32_t maxTokens = info[2].As<Napi::Number>().Uint32Value();
    // more threads than CPUs only slow ggml down (100000 started thousands of threads): clamp to the CPU count
    const int32_t cpus = static_cast<int32_t>(std::max(1u, std::thread::hardware_concurrency()));
    const int32_t threads = std::clamp(info[3].As<Napi::Number>().Int32Value(), 1, cpus);
    if (maxTokens < 1) throw Napi::RangeError::New(env, "maxTokens must be at least 1");

    auto* cc = new CaptureContext();
    cc->owner = Napi::Persistent(info[0].As<Napi::Object>());
    cc->nEmbd = v.nEmbd;
    cc->nLayer = v.nLayer;
    cc->nCtx = maxTokens;
    cc->layers.resize(v.nLayer);
    llama_context_params params = api().context_default_params();
    params.n_ctx = maxTokens;
    params.n_batch = maxTokens;
    params.n_ubatch = maxTokens;  // one ubatch: every l_out holds all rows at once
    params.n_seq_max = 1;
    params.n_threads = threads;
    params.n_threads_batch = threads;
    params.embeddings = false;
    params.cb_eval = captureCallback;
    params.cb_eval_user_data = cc;
    // cb_eval makes llama.cpp compute each layer's sub-graph on its own, and without a persistent threadpool ggml
    // starts its worker threads for every one of them (measured 14x slower than one thread on 2 cores)
    const bool pooled = threads > 1 && api().threadpool_new != nullptr;
    if (!pooled) params.n_threads = params.n_threads_batch = 1;
    cc->ctx = api().init_from_model(const_cast<llama_model*>(api().get_model(v.ctx)), params);
    if (cc->ctx == nullptr) {
        delete cc;
        throw Napi::Error::New(env, "llama.cpp could not create the capture context (out of memory?)");
    }
    if (pooled) {
        ggml_threadpool_params tpp = api().threadpool_params_default(threads);
        cc->threadpool = api().threadpool_new(&tpp);
        if (cc->threadpool != nullptr) api().attach_threadpool(cc->ctx, cc->threadpool, cc->threadpool);
    }
    return Napi::External<CaptureContext>::New(env, cc, finalizeCapture);
}

// Sets the control vector on the capture context when it differs from the one set (empty: none); "" or the failure.
static std::string applyCvec(CaptureContext* cc, const std::vector<float>& cvec, int32_t start, int32_t end) {
    if (cvec == cc->appliedCvec && start == cc->appliedStart && end == cc->appliedEnd) return "";
    const Api& a = api();
    int32_t applied = cvec.empty()
        ? a.set_adapter_cvec(cc->ctx, nullptr, 0, cc->nEmbd, -1, -1)
        : a.set_adapter_cvec(cc->ctx, cvec.data(), cvec.size(), cc->nEmbd, start, end);
    if (applied != 0) return "llama_set_adapter_cvec failed on the capture context";
    cc->appliedCvec = cvec;
    cc->appliedStart = start;
    cc->appliedEnd = end;
    return "";
}

class CaptureWorker : public Napi::AsyncWorker {
  public:
    // `handle` (the JS External of cc) is held until the worker is done, so garbage collection cannot free cc under
    // it; `model` is the node-llama-cpp model the capture context runs on
    CaptureWorker(Napi::Env env, Napi::Value handle, CaptureContext* cc, AddonModel* model, std::vector<llama_token> tokens, std::vector<float> cvec,
        int32_t cvecStart, int32_t cvecEnd, bool allRows)
        : Napi::AsyncWorker(env), deferred(Napi::Promise::Deferred::New(env)), handleRef(Napi::Persistent(handle)), cc(cc), model(model),
          tokens(std::move(tokens)), cvec(std::move(cvec)), cvecStart(cvecStart), cvecEnd(cvecEnd), allRows(allRows) {}

    Napi::Promise Promise() { return deferred.Promise(); }

    void Execute() override {
        // node-llama-cpp frees the llama_model under this mutex when the model is disposed: holding it for the
        // evaluation makes a dispose wait for the capture instead of freeing the weights it is reading
        std::lock_guard<std::mutex> modelLock(model->disposeMutex);
        if (model->memoryDisposed || model->model == nullptr) return SetError("the model was disposed");
        Evaluate();
    }

    void Evaluate() {
        for (auto& rows : cc->layers) rows.clear();
        cc->failed = false;
        cc->wantLayers = true;
        const Api& a = api();
        const std::string cvecError = applyCvec(cc, cvec, cvecStart, cvecEnd);
        if (!cvecError.empty()) return SetError(cvecError);
        a.memory_clear(a.get_memory(cc->ctx), true);
        llama_batch batch = a.batch_init(static_cast<int32_t>(tokens.size()), 0, 1);
        for (size_t i = 0; i < tokens.size(); i++) {
            batch.token[i] = tokens[i];
            batch.pos[i] = static_cast<llama_pos>(i);
            batch.n_seq_id[i] = 1;
            batch.seq_id[i][0] = 0;
            // llama.cpp trims the last layer to the tokens that produce outputs: ask for all of them only when every
            // position is wanted (each output also costs a projection onto the whole vocabulary)
            batch.logits[i] = allRows || i + 1 == tokens.size();
        }
        batch.n_tokens = static_cast<int32_t>(tokens.size());
        const int32_t status = a.decode(cc->ctx, batch);
        a.batch_free(batch);
        if (cc->failed) return SetError(cc->failure);
        if (status != 0) return SetError("llama_decode failed while capturing hidden states (status " + std::to_string(status) + ")");
    }

    void OnOK() override {
        Napi::Env env = Env();
        Napi::Array out = Napi::Array::New(env, cc->layers.size());
        for (size_t il = 0; il < cc->layers.size(); il++) {
            const auto& rows = cc->layers[il];
            Napi::Float32Array arr = Napi::Float32Array::New(env, rows.size());
            std::memcpy(arr.Data(), rows.data(), rows.size() * sizeof(float));
            out.Set(il, arr);
        }
        cc->busy = false;
        deferred.Resolve(out);
    }

    void OnError(const Napi::Error& e) override {
        cc->busy = false;
        deferred.Reject(e.Value());
    }

  private:
    Napi::Promise::Deferred deferred;
    Napi::Reference<Napi::Value> handleRef;
    CaptureContext* cc;
    AddonModel* model;
    std::vector<llama_token> tokens;
    std::vector<float> cvec;
    int32_t cvecStart;
    int32_t cvecEnd;
    bool allRows;
};

// The checks every capture call makes: the handle, its live owner and model, and the tokens (an Int32Array that fits).
struct CaptureArgs {
    CaptureContext* cc;
    AddonModel* model;
    std::vector<llama_token> tokens;
};

static CaptureArgs captureArgs(const Napi::CallbackInfo& info, const char* name) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsExternal()) throw Napi::TypeError::New(env, std::string(name) + " needs a capture context");
    auto* cc = info[0].As<Napi::External<CaptureContext>>().Data();
    if (cc == nullptr || cc->ctx == nullptr) throw Napi::Error::New(env, "the capture context is freed");
    // throws (never crashes) when the main context, and with it possibly the model, was disposed meanwhile
    verifyContext(env, cc->owner.Value(), 0);
    void* rawOwner = nullptr;
    if (napi_unwrap(env, cc->owner.Value(), &rawOwner) != napi_ok || rawOwner == nullptr || static_cast<AddonContext*>(rawOwner)->model == nullptr)
        throw Napi::Error::New(env, "the capture context has no model");
    AddonModel* model = static_cast<AddonContext*>(rawOwner)->model;
    if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
        throw Napi::TypeError::New(env, "tokens must be an Int32Array");
    Napi::Int32Array tokenArray = info[1].As<Napi::Int32Array>();
    if (tokenArray.ElementLength() == 0) throw Napi::RangeError::New(env, std::string(name) + " needs at least one token");
    if (tokenArray.ElementLength() > cc->nCtx)
        throw Napi::RangeError::New(env, "the prompt has " + std::to_string(tokenArray.ElementLength()) + " tokens, more than the capture context's " + std::to_string(cc->nCtx));
    return CaptureArgs{cc, model, std::vector<llama_token>(tokenArray.Data(), tokenArray.Data() + tokenArray.ElementLength())};
}

// Reads an optional (cvec: Float32Array | null, ilStart, ilEnd) at info[index..index+2]; an empty cvec means none.
static void cvecArgs(const Napi::CallbackInfo& info, size_t index, CaptureContext* cc, std::vector<float>& cvec, int32_t& cvecStart, int32_t& cvecEnd) {
    Napi::Env env = info.Env();
    cvecStart = -1;
    cvecEnd = -1;
    if (info.Length() <= index || info[index].IsNull() || info[index].IsUndefined()) return;
    // any other typed array would be read as floats past its end (a 16 MiB Uint8Array: 64 MiB read)
    if (!info[index].IsTypedArray() || info[index].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
        throw Napi::TypeError::New(env, "the control vector must be a Float32Array");
    if (info.Length() < index + 3 || !info[index + 1].IsNumber() || !info[index + 2].IsNumber())
        throw Napi::TypeError::New(env, "capture with a control vector needs ilStart and ilEnd numbers");
    Napi::Float32Array data = info[index].As<Napi::Float32Array>();
    if (data.ElementLength() % static_cast<size_t>(cc->nEmbd) != 0)
        throw Napi::RangeError::New(env, "control vector data length is not a multiple of n_embd");
    cvecStart = info[index + 1].As<Napi::Number>().Int32Value();
    cvecEnd = info[index + 2].As<Napi::Number>().Int32Value();
    if (cvecStart < 1 || cvecEnd < cvecStart || cvecEnd > cc->nLayer)
        throw Napi::RangeError::New(env, "control vector layer range " + std::to_string(cvecStart) + "-" + std::to_string(cvecEnd) +
            " is outside the model's layers 1-" + std::to_string(cc->nLayer));
    cvec.assign(data.Data(), data.Data() + data.ElementLength());
}

static void claim(Napi::Env env, CaptureContext* cc) {
    bool expected = false;
    if (!cc->busy.compare_exchange_strong(expected, true))
        throw Napi::Error::New(env, "the capture context is busy with another prompt");
}

// capture(handle, tokens: Int32Array, allRows: boolean, cvec?: Float32Array | null, cvecStart?, cvecEnd?) -> Promise<Float32Array[]>
// Resolves to one array per layer N (l_out-N): n_tokens × n_embd floats (the last layer: only the last row unless allRows).
Napi::Value Capture(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CaptureArgs args = captureArgs(info, "capture");
    const bool allRows = info.Length() >= 3 && info[2].ToBoolean().Value();
    std::vector<float> cvec;
    int32_t cvecStart, cvecEnd;
    cvecArgs(info, 3, args.cc, cvec, cvecStart, cvecEnd);
    claim(env, args.cc);
    auto* worker = new CaptureWorker(env, info[0], args.cc, args.model, std::move(args.tokens), std::move(cvec), cvecStart, cvecEnd, allRows);
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
}

// Evaluates tokens for their next-token logits, no hidden states kept. Tokens before `steerFrom` are evaluated
// without the control vector, the rest with it (steerFrom 0: all steered), as a conversation under the reply-only
// policy does; the logits of rows from `fromRow` on are returned, (n_tokens − fromRow) × n_vocab floats.
class LogitsWorker : public Napi::AsyncWorker {
  public:
    LogitsWorker(Napi::Env env, Napi::Value handle, CaptureContext* cc, AddonModel* model, std::vector<llama_token> tokens, std::vector<float> cvec,
        int32_t cvecStart, int32_t cvecEnd, int32_t fromRow, int32_t steerFrom)
        : Napi::AsyncWorker(env), deferred(Napi::Promise::Deferred::New(env)), handleRef(Napi::Persistent(handle)), cc(cc), model(model),
          tokens(std::move(tokens)), cvec(std::move(cvec)), cvecStart(cvecStart), cvecEnd(cvecEnd), fromRow(fromRow), steerFrom(steerFrom) {}

    Napi::Promise Promise() { return deferred.Promise(); }

    void Execute() override {
        std::lock_guard<std::mutex> modelLock(model->disposeMutex);
        if (model->memoryDisposed || model->model == nullptr) return SetError("the model was disposed");
        const Api& a = api();
        cc->failed = false;
        cc->wantLayers = false;
        nVocab = a.vocab_n_tokens(a.model_get_vocab(a.get_model(cc->ctx)));
        const int32_t n = static_cast<int32_t>(tokens.size());
        logits.assign(static_cast<size_t>(n - fromRow) * static_cast<size_t>(nVocab), 0.0f);
        a.memory_clear(a.get_memory(cc->ctx), true);
        // one decode per steering: before steerFrom without the vector, from it on with it
        const int32_t split = cvec.empty() ? 0 : std::clamp(steerFrom, 0, n);
        static const std::vector<float> none;
        if (split > 0 && !Decode(0, split, none, -1, -1)) return;
        if (split < n) Decode(split, n, cvec, cvecStart, cvecEnd);
    }

    bool Decode(int32_t begin, int32_t end, const std::vector<float>& vec, int32_t start, int32_t stop) {
        const Api& a = api();
        const std::string cvecError = applyCvec(cc, vec, start, stop);
        if (!cvecError.empty()) { SetError(cvecError); return false; }
        llama_batch batch = a.batch_init(end - begin, 0, 1);
        for (int32_t i = begin; i < end; i++) {
            const int32_t j = i - begin;
            batch.token[j] = tokens[i];
            batch.pos[j] = static_cast<llama_pos>(i);
            batch.n_seq_id[j] = 1;
            batch.seq_id[j][0] = 0;
            batch.logits[j] = i >= fromRow;
        }
        batch.n_tokens = end - begin;
        const int32_t status = a.decode(cc->ctx, batch);
        a.batch_free(batch);
        if (cc->failed) { SetError(cc->failure); return false; }
        if (status != 0) { SetError("llama_decode failed while evaluating for logits (status " + std::to_string(status) + ")"); return false; }
        for (int32_t i = std::max(begin, fromRow); i < end; i++) {
            const float* row = a.get_logits_ith(cc->ctx, i - begin);
            if (row == nullptr) { SetError("llama.cpp returned no logits for row " + std::to_string(i)); return false; }
            std::memcpy(logits.data() + static_cast<size_t>(i - fromRow) * nVocab, row, static_cast<size_t>(nVocab) * sizeof(float));
        }
        return true;
    }

    void OnOK() override {
        Napi::Env env = Env();
        Napi::Float32Array arr = Napi::Float32Array::New(env, logits.size());
        std::memcpy(arr.Data(), logits.data(), logits.size() * sizeof(float));
        cc->busy = false;
        deferred.Resolve(arr);
    }

    void OnError(const Napi::Error& e) override {
        cc->busy = false;
        deferred.Reject(e.Value());
    }

  private:
    Napi::Promise::Deferred deferred;
    Napi::Reference<Napi::Value> handleRef;
    CaptureContext* cc;
    AddonModel* model;
    std::vector<llama_token> tokens;
    std::vector<float> cvec;
    int32_t cvecStart;
    int32_t cvecEnd;
    int32_t fromRow;
    int32_t steerFrom;
    int32_t nVocab = 0;
    std::vector<float> logits;
};

// captureLogits(handle, tokens: Int32Array, fromRow, cvec?: Float32Array | null, cvecStart?, cvecEnd?, steerFrom?) -> Promise<Float32Array>
Napi::Value CaptureLogits(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CaptureArgs args = captureArgs(info, "captureLogits");
    const int32_t n = static_cast<int32_t>(args.tokens.size());
    if (info.Length() < 3 || !info[2].IsNumber()) throw Napi::TypeError::New(env, "captureLogits needs the first row to return");
    const int32_t fromRow = info[2].As<Napi::Number>().Int32Value();
    if (fromRow < 0 || fromRow >= n) throw Napi::RangeError::New(env, "the first row must be within the tokens");
    std::vector<float> cvec;
    int32_t cvecStart, cvecEnd;
    cvecArgs(info, 3, args.cc, cvec, cvecStart, cvecEnd);
    const int32_t steerFrom = info.Length() > 6 && info[6].IsNumber() ? info[6].As<Napi::Number>().Int32Value() : 0;
    if (steerFrom < 0) throw Napi::RangeError::New(env, "steerFrom must be at least 0");
    claim(env, args.cc);
    auto* worker = new LogitsWorker(env, info[0], args.cc, args.model, std::move(args.tokens), std::move(cvec), cvecStart, cvecEnd, fromRow, steerFrom);
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
}

// freeCaptureContext(handle): frees the llama_context now rather than at garbage collection
Napi::Value FreeCaptureContext(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsExternal()) throw Napi::TypeError::New(env, "freeCaptureContext needs a capture context");
    auto* cc = info[0].As<Napi::External<CaptureContext>>().Data();
    if (cc->busy) throw Napi::Error::New(env, "the capture context is still evaluating");
    releaseCapture(env, cc);
    return env.Undefined();
}

}  // namespace steer
