// Hidden-state capture for training steering vectors: a second llama_context on the loaded llama_model with a
// cb_eval callback that copies the `l_out-N` tensors (each block's output), as llama.cpp's cvector-generator does.
// Evaluation runs on a worker thread (a CaptureJob, one Napi::AsyncWorker per prompt); JS drives the prompts, so it
// reports progress and can stop between them.

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "napi.h"
#include "AddonContext.h"
#include "AddonModel.h"
#include "context_check.h"
#include "exports.h"
#include "llama_api.h"
#include "thread_pool.h"

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

// createCaptureContext(addonContext, expectedNCtx, maxTokens, threads, poll?) -> External<CaptureContext>
Napi::Value CreateCaptureContext(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Verified v = verifyContext(env, info[0], optionalU32(info, 1));
    if (!api().captureError.empty()) throw Napi::Error::New(env, api().captureError);
    if (info.Length() < 4 || !info[2].IsNumber() || !info[3].IsNumber())
        throw Napi::TypeError::New(env, "createCaptureContext needs maxTokens and threads");
    const uint32_t maxTokens = info[2].As<Napi::Number>().Uint32Value();
    const int32_t threads = clampThreads(info[3].As<Napi::Number>().Int32Value());
    if (maxTokens < 1) throw Napi::RangeError::New(env, "maxTokens must be at least 1");
    // how long the pool's idle threads poll for work (ggml's 0-100 scale; ggml's default 50 when not given)
    const int32_t poll = info.Length() > 4 && info[4].IsNumber() ? info[4].As<Napi::Number>().Int32Value() : 50;

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
        cc->threadpool = newThreadPool(threads, poll);
        if (cc->threadpool != nullptr) api().attach_threadpool(cc->ctx, cc->threadpool, cc->threadpool);
    }
    return Napi::External<CaptureContext>::New(env, cc, finalizeCapture);
}

// An optional control vector for one evaluation (empty data: none).
struct CvecArg {
    std::vector<float> data;
    int32_t start = -1;
    int32_t end = -1;
};

// Sets the control vector on the capture context when it differs from the one set (empty: none); "" or the failure.
static std::string applyCvec(CaptureContext* cc, const CvecArg& cvec) {
    if (cvec.data == cc->appliedCvec && cvec.start == cc->appliedStart && cvec.end == cc->appliedEnd) return "";
    const Api& a = api();
    int32_t applied = cvec.data.empty()
        ? a.set_adapter_cvec(cc->ctx, nullptr, 0, cc->nEmbd, -1, -1)
        : a.set_adapter_cvec(cc->ctx, cvec.data.data(), cvec.data.size(), cc->nEmbd, cvec.start, cvec.end);
    if (applied != 0) return "llama_set_adapter_cvec failed on the capture context";
    cc->appliedCvec = cvec.data;
    cc->appliedStart = cvec.start;
    cc->appliedEnd = cvec.end;
    return "";
}

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

// Reads an optional (cvec: Float32Array | null, ilStart, ilEnd) at info[index..index+2].
static CvecArg cvecArg(const Napi::CallbackInfo& info, size_t index, CaptureContext* cc) {
    Napi::Env env = info.Env();
    CvecArg cvec;
    if (info.Length() <= index || info[index].IsNull() || info[index].IsUndefined()) return cvec;
    // any other typed array would be read as floats past its end (a 16 MiB Uint8Array: 64 MiB read)
    if (!info[index].IsTypedArray() || info[index].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
        throw Napi::TypeError::New(env, "the control vector must be a Float32Array");
    if (info.Length() < index + 3 || !info[index + 1].IsNumber() || !info[index + 2].IsNumber())
        throw Napi::TypeError::New(env, "capture with a control vector needs ilStart and ilEnd numbers");
    Napi::Float32Array data = info[index].As<Napi::Float32Array>();
    if (data.ElementLength() % static_cast<size_t>(cc->nEmbd) != 0)
        throw Napi::RangeError::New(env, "control vector data length is not a multiple of n_embd");
    cvec.start = info[index + 1].As<Napi::Number>().Int32Value();
    cvec.end = info[index + 2].As<Napi::Number>().Int32Value();
    if (cvec.start < 1 || cvec.end < cvec.start || cvec.end > cc->nLayer)
        throw Napi::RangeError::New(env, "control vector layer range " + std::to_string(cvec.start) + "-" + std::to_string(cvec.end) +
            " is outside the model's layers 1-" + std::to_string(cc->nLayer));
    cvec.data.assign(data.Data(), data.Data() + data.ElementLength());
    return cvec;
}

// What the two evaluations (capture, captureLogits) share: a promise JS awaits; the JS handle (the External of cc),
// held until the job is done so garbage collection cannot free cc under it; the claim on cc, taken when the job is
// queued and released when its promise settles; the model's dispose mutex, held for the evaluation; and a decode
// of a run of tokens. Each job adds its arguments, its Evaluate() and its Result().
class CaptureJob : public Napi::AsyncWorker {
  public:
    // Claims cc (throws while another job runs on it), queues a Job made of the arguments and returns its promise.
    template <typename Job, typename... Extra>
    static Napi::Value Start(const Napi::CallbackInfo& info, CaptureArgs args, CvecArg cvec, Extra... extra) {
        Napi::Env env = info.Env();
        bool expected = false;
        if (!args.cc->busy.compare_exchange_strong(expected, true))
            throw Napi::Error::New(env, "the capture context is busy with another prompt");
        auto* job = new Job(env, info[0], std::move(args), std::move(cvec), extra...);
        Napi::Promise promise = job->deferred.Promise();
        job->Queue();
        return promise;
    }

  protected:
    CaptureJob(Napi::Env env, Napi::Value handle, CaptureArgs args, CvecArg cvec)
        : Napi::AsyncWorker(env), cc(args.cc), model(args.model), tokens(std::move(args.tokens)), cvec(std::move(cvec)),
          deferred(Napi::Promise::Deferred::New(env)), handleRef(Napi::Persistent(handle)) {}

    // on the worker thread, the model locked and alive; reports failure with SetError
    virtual void Evaluate() = 0;
    // on the JS thread after Evaluate succeeded: what the promise resolves to
    virtual Napi::Value Result(Napi::Env env) = 0;

    // Decodes tokens[begin, end) at their own positions, with an output for each row i where output(i); false (the
    // error set) when llama.cpp fails. `what` says in that error what the evaluation was for.
    template <typename Output>
    bool DecodeRows(int32_t begin, int32_t end, Output output, const char* what) {
        const Api& a = api();
        llama_batch batch = a.batch_init(end - begin, 0, 1);
        for (int32_t i = begin; i < end; i++) {
            const int32_t j = i - begin;
            batch.token[j] = tokens[i];
            batch.pos[j] = static_cast<llama_pos>(i);
            batch.n_seq_id[j] = 1;
            batch.seq_id[j][0] = 0;
            batch.logits[j] = output(i);
        }
        batch.n_tokens = end - begin;
        const int32_t status = a.decode(cc->ctx, batch);
        a.batch_free(batch);
        if (cc->failed) { SetError(cc->failure); return false; }
        if (status != 0) { SetError(std::string("llama_decode failed while ") + what + " (status " + std::to_string(status) + ")"); return false; }
        return true;
    }

    CaptureContext* cc;
    AddonModel* model;
    std::vector<llama_token> tokens;
    CvecArg cvec;

  private:
    void Execute() final {
        // node-llama-cpp frees the llama_model under this mutex when the model is disposed: holding it for the
        // evaluation makes a dispose wait for the evaluation instead of freeing the weights it is reading
        std::lock_guard<std::mutex> modelLock(model->disposeMutex);
        if (model->memoryDisposed || model->model == nullptr) return SetError("the model was disposed");
        Evaluate();
    }

    void OnOK() final {
        Napi::Value result = Result(Env());
        cc->busy = false;
        deferred.Resolve(result);
    }

    void OnError(const Napi::Error& e) final {
        cc->busy = false;
        deferred.Reject(e.Value());
    }

    Napi::Promise::Deferred deferred;
    Napi::Reference<Napi::Value> handleRef;
};

// Evaluates tokens for every layer's output (l_out-N), kept in cc->layers by the callback.
class LayersJob final : public CaptureJob {
  public:
    LayersJob(Napi::Env env, Napi::Value handle, CaptureArgs args, CvecArg cvec, bool allRows)
        : CaptureJob(env, handle, std::move(args), std::move(cvec)), allRows(allRows) {}

  private:
    void Evaluate() override {
        for (auto& rows : cc->layers) rows.clear();
        cc->failed = false;
        cc->wantLayers = true;
        const Api& a = api();
        const std::string cvecError = applyCvec(cc, cvec);
        if (!cvecError.empty()) return SetError(cvecError);
        a.memory_clear(a.get_memory(cc->ctx), true);
        const int32_t n = static_cast<int32_t>(tokens.size());
        // llama.cpp trims the last layer to the tokens that produce outputs: ask for all of them only when every
        // position is wanted (each output also costs a projection onto the whole vocabulary)
        DecodeRows(0, n, [&](int32_t i) { return allRows || i + 1 == n; }, "capturing hidden states");
    }

    Napi::Value Result(Napi::Env env) override {
        Napi::Array out = Napi::Array::New(env, cc->layers.size());
        for (size_t il = 0; il < cc->layers.size(); il++) {
            const auto& rows = cc->layers[il];
            Napi::Float32Array arr = Napi::Float32Array::New(env, rows.size());
            std::memcpy(arr.Data(), rows.data(), rows.size() * sizeof(float));
            out.Set(il, arr);
        }
        return out;
    }

    bool allRows;
};

// Evaluates tokens for their next-token logits, no hidden states kept. Tokens before `steerFrom` are evaluated
// without the control vector, the rest with it (steerFrom 0: all steered), as a conversation under the reply-only
// policy does; the logits of rows from `fromRow` on are returned, (n_tokens − fromRow) × n_vocab floats.
class LogitsJob final : public CaptureJob {
  public:
    LogitsJob(Napi::Env env, Napi::Value handle, CaptureArgs args, CvecArg cvec, int32_t fromRow, int32_t steerFrom)
        : CaptureJob(env, handle, std::move(args), std::move(cvec)), fromRow(fromRow), steerFrom(steerFrom) {}

  private:
    void Evaluate() override {
        const Api& a = api();
        cc->failed = false;
        cc->wantLayers = false;
        nVocab = a.vocab_n_tokens(a.model_get_vocab(a.get_model(cc->ctx)));
        const int32_t n = static_cast<int32_t>(tokens.size());
        logits.assign(static_cast<size_t>(n - fromRow) * static_cast<size_t>(nVocab), 0.0f);
        a.memory_clear(a.get_memory(cc->ctx), true);
        // one decode per steering: before steerFrom without the vector, from it on with it
        const int32_t split = cvec.data.empty() ? 0 : std::clamp(steerFrom, 0, n);
        static const CvecArg none;
        if (split > 0 && !DecodeSteered(0, split, none)) return;
        if (split < n) DecodeSteered(split, n, cvec);
    }

    // Decodes tokens[begin, end) under `vec` and copies the logits of its rows from fromRow on.
    bool DecodeSteered(int32_t begin, int32_t end, const CvecArg& vec) {
        const Api& a = api();
        const std::string cvecError = applyCvec(cc, vec);
        if (!cvecError.empty()) { SetError(cvecError); return false; }
        if (!DecodeRows(begin, end, [&](int32_t i) { return i >= fromRow; }, "evaluating for logits")) return false;
        for (int32_t i = std::max(begin, fromRow); i < end; i++) {
            const float* row = a.get_logits_ith(cc->ctx, i - begin);
            if (row == nullptr) { SetError("llama.cpp returned no logits for row " + std::to_string(i)); return false; }
            std::memcpy(logits.data() + static_cast<size_t>(i - fromRow) * nVocab, row, static_cast<size_t>(nVocab) * sizeof(float));
        }
        return true;
    }

    Napi::Value Result(Napi::Env env) override {
        Napi::Float32Array arr = Napi::Float32Array::New(env, logits.size());
        std::memcpy(arr.Data(), logits.data(), logits.size() * sizeof(float));
        return arr;
    }

    int32_t fromRow;
    int32_t steerFrom;
    int32_t nVocab = 0;
    std::vector<float> logits;
};

// capture(handle, tokens: Int32Array, allRows: boolean, cvec?: Float32Array | null, cvecStart?, cvecEnd?) -> Promise<Float32Array[]>
// Resolves to one array per layer N (l_out-N): n_tokens × n_embd floats (the last layer: only the last row unless allRows).
Napi::Value Capture(const Napi::CallbackInfo& info) {
    CaptureArgs args = captureArgs(info, "capture");
    const bool allRows = info.Length() >= 3 && info[2].ToBoolean().Value();
    CvecArg cvec = cvecArg(info, 3, args.cc);
    return CaptureJob::Start<LayersJob>(info, std::move(args), std::move(cvec), allRows);
}

// captureLogits(handle, tokens: Int32Array, fromRow, cvec?: Float32Array | null, cvecStart?, cvecEnd?, steerFrom?) -> Promise<Float32Array>
Napi::Value CaptureLogits(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CaptureArgs args = captureArgs(info, "captureLogits");
    const int32_t n = static_cast<int32_t>(args.tokens.size());
    if (info.Length() < 3 || !info[2].IsNumber()) throw Napi::TypeError::New(env, "captureLogits needs the first row to return");
    const int32_t fromRow = info[2].As<Napi::Number>().Int32Value();
    if (fromRow < 0 || fromRow >= n) throw Napi::RangeError::New(env, "the first row must be within the tokens");
    CvecArg cvec = cvecArg(info, 3, args.cc);
    const int32_t steerFrom = info.Length() > 6 && info[6].IsNumber() ? info[6].As<Napi::Number>().Int32Value() : 0;
    if (steerFrom < 0) throw Napi::RangeError::New(env, "steerFrom must be at least 0");
    return CaptureJob::Start<LogitsJob>(info, std::move(args), std::move(cvec), fromRow, steerFrom);
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
