// The generation loop: decode, sample, decode the sampled token, and so on, on one thread of its own, with
// llama.cpp's sampler chain built as node-llama-cpp builds it (AddonSampler.cpp), tokens streamed to JS in batches.
//
// Why our own: node-llama-cpp's loop (LlamaContextSequence.evaluate) makes two async round trips through the JS
// thread for every token (a decode worker, then a sampling worker) and builds a batch in JS between them; on a model
// whose token costs 0.2 ms in llama-completion that round trip cost more than the token itself (1,300 tok/s against
// 5,500). Here a token costs what llama_decode and the sampler cost, and the JS thread only reads tokens.
//
// What stays node-llama-cpp's: the context, its KV cache and its sequence bookkeeping. JS updates the sequence's
// tokens from the result (the input and the generated tokens that were decoded), and holds the sequence's evaluation
// lock meanwhile. Each step holds the context's dispose mutex, so node-llama-cpp cannot free the llama_context under
// a decode; a step that finds it disposed ends the loop with an error.

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#include <algorithm>

#include "napi.h"
#include "AddonContext.h"
#include "context_check.h"
#include "exports.h"
#include "llama_api.h"
#include "sampler_chain.h"

namespace steer {

namespace {

enum class Stop { Eog, MaxTokens, Aborted, Error };

struct Job {
    // set on the JS thread before the loop starts
    AddonContext* addon = nullptr;
    llama_context* ctx = nullptr;
    int32_t sequenceId = 0;
    int32_t firstPosition = 0;
    std::vector<llama_token> input;
    int32_t maxTokens = 0;
    Sampling sampling;
    // log-probabilities asked for (OpenAI's logprobs): -1 none; else each token's own and the top N of each step
    int32_t topLogprobs = -1;
    std::atomic<bool> stopRequested{false};
    // an optional switch of the control vector at an exact token boundary (a steering schedule such as first:N):
    // once switchAt tokens were generated, right before the loop decodes the last of them (whose logits give token
    // switchAt + 1), the control vector becomes switchData (empty: cleared). 0: no switch.
    int32_t switchAt = 0;
    bool switchClears = true;
    std::vector<float> switchData;
    int32_t switchNEmbd = 0;
    int32_t switchLayerStart = -1;
    int32_t switchLayerEnd = -1;
    bool switched = false;
    // an optional gate on the steering (steer-code off): after sampling a token marked in pauseMask, the loop waits
    // for onTokens' answer (true: the gate is open) before decoding it; the vector is on while the schedule has it on
    // and the gate is open (gateData when on; empty: cleared). The gate only changes at those tokens, so each switch is
    // at an exact token boundary, with the sampler's state kept.
    bool gated = false;
    std::vector<uint8_t> pauseMask;
    std::vector<float> gateData;
    int32_t gateLayerStart = -1;
    int32_t gateLayerEnd = -1;
    bool initiallyOn = false;  // whether the vector is on when the loop starts
    int32_t gateSwitches = 0;
    // under `mutex`: the loop waits on `decided` for the token it paused at
    std::condition_variable decisionReady;
    bool awaitingDecision = false;
    bool decided = false;
    bool gateOpen = true;

    // written by the loop, read by JS through the thread-safe function (pending under `mutex`)
    std::mutex mutex;
    std::vector<int32_t> pendingTokens;
    std::vector<float> pendingConfidences;
    std::vector<float> pendingLogprobs;       // per token, when topLogprobs >= 0
    std::vector<int32_t> pendingTopIds;       // topLogprobs per token
    std::vector<float> pendingTopLogprobs;
    int32_t logprobSteps = 0;  // the steps that computed log-probabilities (0 unless asked: the chat's path stays as it was)
    bool notifyQueued = false;
    Stop stop = Stop::Error;
    std::string error;
    int32_t generated = 0;
    int32_t decodedGenerated = 0;  // how many generated tokens were decoded (the last sampled one is not)
    int32_t inputDecoded = 0;  // how many input tokens were decoded
    llama_token eogToken = -1;
    float eogConfidence = 0;

    // JS thread only
    Napi::ObjectReference owner;
    Napi::Promise::Deferred deferred;
    Napi::ThreadSafeFunction tsfn;

    explicit Job(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
};

// Log-probabilities in the model's distribution: a log-softmax over every logit, before the sampler chain (no top-k,
// top-p or temperature), as llama-server reports them by default. `token`'s own, and the `n` most probable tokens of
// the step, most probable first (ties: the lower id first, as the greedy sampler picks), found in one pass over the
// vocabulary with a small sorted list. Only run when asked.
float logprobsOf(const float* logits, int32_t nVocab, llama_token token, int32_t n, std::vector<int32_t>& topIds,
    std::vector<float>& topLogprobs) {
    float maxLogit = logits[0];
    for (int32_t i = 1; i < nVocab; i++) maxLogit = std::max(maxLogit, logits[i]);
    double sum = 0.0;
    for (int32_t i = 0; i < nVocab; i++) sum += std::exp(static_cast<double>(logits[i]) - maxLogit);
    const double logZ = static_cast<double>(maxLogit) + std::log(sum);
    std::vector<int32_t> top;
    top.reserve(static_cast<size_t>(n) + 1);
    for (int32_t i = 0; i < nVocab && n > 0; i++) {
        if (static_cast<int32_t>(top.size()) == n && !(logits[i] > logits[top.back()])) continue;
        auto at = std::upper_bound(top.begin(), top.end(), i, [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
        top.insert(at, i);
        if (static_cast<int32_t>(top.size()) > n) top.pop_back();
    }
    for (int32_t id : top) {
        topIds.push_back(id);
        topLogprobs.push_back(static_cast<float>(static_cast<double>(logits[id]) - logZ));
    }
    return static_cast<float>(static_cast<double>(logits[token]) - logZ);
}

// JS side of the thread-safe function: hands the tokens that arrived to onTokens, or settles the promise.
struct Message {
    bool done;
};

Napi::Float32Array floatArray(Napi::Env env, const std::vector<float>& values) {
    Napi::Float32Array array = Napi::Float32Array::New(env, values.size());
    std::copy(values.begin(), values.end(), array.Data());
    return array;
}

Napi::Int32Array int32Array(Napi::Env env, const std::vector<int32_t>& values) {
    Napi::Int32Array array = Napi::Int32Array::New(env, values.size());
    std::copy(values.begin(), values.end(), array.Data());
    return array;
}

void deliver(Napi::Env env, Napi::Function onTokens, std::shared_ptr<Job>* holder, Message* message) {
    std::shared_ptr<Job> job = *holder;
    const bool done = message->done;
    delete message;
    // a loop waiting for a decision goes on (the answer: gate open, or stop)
    auto answer = [&](bool open, bool stop) {
        std::lock_guard<std::mutex> lock(job->mutex);
        if (stop) job->stopRequested = true;
        job->gateOpen = open;
        job->decided = true;
        job->decisionReady.notify_all();
    };
    if (env == nullptr) { answer(true, true); return; }  // the environment is going away
    std::vector<int32_t> tokens;
    std::vector<float> confidences;
    bool paused = false;
    std::vector<float> logprobs;
    std::vector<int32_t> topIds;
    std::vector<float> topLogprobs;
    {
        std::lock_guard<std::mutex> lock(job->mutex);
        tokens.swap(job->pendingTokens);
        confidences.swap(job->pendingConfidences);
        logprobs.swap(job->pendingLogprobs);
        topIds.swap(job->pendingTopIds);
        topLogprobs.swap(job->pendingTopLogprobs);
        job->notifyQueued = false;
        // the last of these tokens is the one the loop waits at
        paused = job->awaitingDecision;
        job->awaitingDecision = false;
    }
    if (!tokens.empty()) {
        Napi::Int32Array tokenArray = Napi::Int32Array::New(env, tokens.size());
        std::copy(tokens.begin(), tokens.end(), tokenArray.Data());
        Napi::Float32Array confidenceArray = Napi::Float32Array::New(env, confidences.size());
        std::copy(confidences.begin(), confidences.end(), confidenceArray.Data());
        // an exception thrown by onTokens stops the loop and rejects the promise once the loop has ended
        try {
            // gated: `paused` comes sixth (after the log-probabilities, undefined when not asked for)
            Napi::Value open;
            if (job->gated) {
                const bool withLogprobs = job->topLogprobs >= 0;
                open = onTokens.Call({tokenArray, confidenceArray, withLogprobs ? floatArray(env, logprobs) : env.Undefined(),
                    withLogprobs ? int32Array(env, topIds) : env.Undefined(), withLogprobs ? floatArray(env, topLogprobs) : env.Undefined(),
                    Napi::Boolean::New(env, paused)});
            } else if (job->topLogprobs < 0) {
                onTokens.Call({tokenArray, confidenceArray});
            } else {
                onTokens.Call({tokenArray, confidenceArray, floatArray(env, logprobs), int32Array(env, topIds), floatArray(env, topLogprobs)});
            }
            if (paused) answer(!open.IsBoolean() || open.As<Napi::Boolean>().Value(), false);
        } catch (const Napi::Error& e) {
            job->stopRequested = true;
            {
                std::lock_guard<std::mutex> lock(job->mutex);
                if (job->error.empty()) job->error = std::string("onTokens threw: ") + e.Message();
            }
            if (paused) answer(true, true);
        }
    } else if (paused) {
        answer(true, true);  // cannot happen: a paused token is always pending
    }
    if (!done) return;
    Napi::Object result = Napi::Object::New(env);
    static const char* names[] = {"eos", "maxTokens", "aborted", "error"};
    result.Set("stopReason", Napi::String::New(env, names[static_cast<int>(job->stop)]));
    result.Set("inputDecoded", Napi::Number::New(env, job->inputDecoded));
    result.Set("generated", Napi::Number::New(env, job->generated));
    result.Set("decodedGenerated", Napi::Number::New(env, job->decodedGenerated));
    result.Set("switched", Napi::Boolean::New(env, job->switched));
    result.Set("gateSwitches", Napi::Number::New(env, job->gateSwitches));
    result.Set("logprobSteps", Napi::Number::New(env, job->logprobSteps));
    if (job->eogToken >= 0) {
        result.Set("eogToken", Napi::Number::New(env, job->eogToken));
        result.Set("eogConfidence", Napi::Number::New(env, job->eogConfidence));
    }
    std::string error;
    {
        std::lock_guard<std::mutex> lock(job->mutex);
        error = job->error;
    }
    if (!error.empty()) result.Set("error", Napi::String::New(env, error));
    job->owner.Reset();
    job->deferred.Resolve(result);
}

using TokenTsfn = Napi::TypedThreadSafeFunction<std::shared_ptr<Job>, Message, deliver>;

// Runs on the loop's own thread. Every llama.cpp call happens with the context's dispose mutex held and the context
// checked alive.
void runLoop(const std::shared_ptr<Job>& job, TokenTsfn tsfn) {
    const Api& a = api();
    const llama_vocab* vocab = nullptr;
    int32_t nVocab = 0;
    int32_t nBatch = 1;
    llama_sampler* chain = nullptr;
    std::vector<llama_token_data> candidates;
    std::vector<int32_t> stepTopIds;  // one step's top log-probabilities, when asked
    std::vector<float> stepTopLogprobs;
    llama_batch batch{};
    bool haveBatch = false;
    int32_t position = job->firstPosition;

    auto fail = [&](const std::string& why) {
        std::lock_guard<std::mutex> lock(job->mutex);
        job->stop = Stop::Error;
        job->error = why;
    };
    // whether node-llama-cpp still has the context (asked with its dispose mutex held)
    auto alive = [&]() { return !job->addon->disposed && job->addon->ctx == job->ctx; };
    auto decode = [&](const llama_token* tokens, int32_t count, bool logitsAtEnd) {
        for (int32_t i = 0; i < count; i++) {
            batch.token[i] = tokens[i];
            batch.pos[i] = position + i;
            batch.n_seq_id[i] = 1;
            batch.seq_id[i][0] = job->sequenceId;
            batch.logits[i] = logitsAtEnd && i + 1 == count;
        }
        batch.n_tokens = count;
        const int32_t status = a.decode(job->ctx, batch);
        if (status != 0) { fail("llama_decode failed (status " + std::to_string(status) + ")"); return false; }
        position += count;
        return true;
    };

    bool scheduleOn = job->initiallyOn;  // gated: the schedule's state (switchAt turns it)
    bool vectorOn = job->initiallyOn;    // gated: what the context has now
    auto setVector = [&](const std::vector<float>* data, int32_t ilStart, int32_t ilEnd) {
        return data == nullptr ? a.set_adapter_cvec(job->ctx, nullptr, 0, job->switchNEmbd, -1, -1)
            : a.set_adapter_cvec(job->ctx, data->data(), data->size(), job->switchNEmbd, ilStart, ilEnd);
    };

    do {
        {
            std::lock_guard<std::mutex> lock(job->addon->disposeMutex);
            if (!alive()) { fail("the llama context was disposed"); break; }
            vocab = a.model_get_vocab(a.get_model(job->ctx));
            nVocab = a.vocab_n_tokens(vocab);
            nBatch = static_cast<int32_t>(std::max(1u, a.n_batch(job->ctx)));
            batch = a.batch_init(nBatch, 0, 1);
            haveBatch = true;
            chain = buildChain(job->sampling, nVocab);
            candidates.resize(static_cast<size_t>(nVocab));
            // the input in batches of n_batch, as node-llama-cpp splits it; logits for its last token only
            bool ok = true;
            const int32_t n = static_cast<int32_t>(job->input.size());
            for (int32_t start = 0; ok && start < n; start += nBatch) {
                const int32_t count = std::min(nBatch, n - start);
                ok = decode(job->input.data() + start, count, start + count >= n);
                if (ok) job->inputDecoded += count;
            }
            if (!ok) break;
        }
        while (true) {
            std::unique_lock<std::mutex> lock(job->addon->disposeMutex);
            if (!alive()) { fail("the llama context was disposed"); break; }
            const float* logits = a.get_logits_ith(job->ctx, -1);
            if (logits == nullptr) { fail("llama.cpp returned no logits"); break; }
            for (int32_t id = 0; id < nVocab; id++) candidates[id] = llama_token_data{id, logits[id], 0.0f};
            llama_token_data_array cur{candidates.data(), static_cast<size_t>(nVocab), -1, false};
            a.sampler_apply(chain, &cur);
            if (cur.size == 0 || cur.selected < 0 || cur.selected >= static_cast<int64_t>(cur.size)) { fail("Failed to sample next token"); break; }
            const float confidence = confidenceOf(cur);
            const llama_token token = cur.data[cur.selected].id;
            if (a.vocab_is_eog(vocab, token)) {
                job->eogToken = token;
                job->eogConfidence = confidence;
                job->stop = Stop::Eog;
                break;
            }
            job->generated++;
            float logprob = 0;
            if (job->topLogprobs >= 0) {
                stepTopIds.clear();
                stepTopLogprobs.clear();
                logprob = logprobsOf(logits, nVocab, token, job->topLogprobs, stepTopIds, stepTopLogprobs);
                job->logprobSteps++;
            }
            bool notify = false;
            // gated: a token that may turn the gate is handed over with the loop waiting for the answer (not the
            // last one: nothing is decoded after it)
            const bool pause = job->gated && job->generated < job->maxTokens && job->pauseMask[static_cast<size_t>(token)] != 0;
            {
                std::lock_guard<std::mutex> pending(job->mutex);
                job->pendingTokens.push_back(token);
                job->pendingConfidences.push_back(confidence);
                if (job->topLogprobs >= 0) {
                    job->pendingLogprobs.push_back(logprob);
                    job->pendingTopIds.insert(job->pendingTopIds.end(), stepTopIds.begin(), stepTopIds.end());
                    job->pendingTopLogprobs.insert(job->pendingTopLogprobs.end(), stepTopLogprobs.begin(), stepTopLogprobs.end());
                }
                notify = !job->notifyQueued;
                job->notifyQueued = true;
                if (pause) {
                    job->awaitingDecision = true;
                    job->decided = false;
                }
            }
            // one call in flight at a time: the JS side takes every token that arrived meanwhile
            if (notify) tsfn.NonBlockingCall(new Message{false});
            // as generateTokens checks them: a stop first, then the token budget
            if (job->stopRequested) { job->stop = Stop::Aborted; break; }
            if (job->generated >= job->maxTokens) { job->stop = Stop::MaxTokens; break; }
            if (pause) {
                // wait without the dispose mutex (JS may take it meanwhile), then check the context again
                lock.unlock();
                {
                    std::unique_lock<std::mutex> waiting(job->mutex);
                    job->decisionReady.wait(waiting, [&]() { return job->decided || job->stopRequested.load(); });
                }
                lock.lock();
                if (!alive()) { fail("the llama context was disposed"); break; }
                if (job->stopRequested) { job->stop = Stop::Aborted; break; }
            }
            if (job->gated) {
                if (job->switchAt > 0 && job->generated == job->switchAt) {
                    scheduleOn = !job->switchClears;
                    job->switched = true;
                }
                bool open;
                {
                    std::lock_guard<std::mutex> m(job->mutex);
                    open = job->gateOpen;
                }
                const bool wanted = scheduleOn && open;
                if (wanted != vectorOn) {
                    const int32_t status = wanted ? setVector(&job->gateData, job->gateLayerStart, job->gateLayerEnd)
                        : setVector(nullptr, -1, -1);
                    if (status != 0) { fail("llama_set_adapter_cvec failed at the steering gate"); break; }
                    vectorOn = wanted;
                    job->gateSwitches++;
                }
            } else if (job->switchAt > 0 && job->generated == job->switchAt) {
                // the loop holds the context: the switch is made here, under the dispose mutex, between two decodes
                const int32_t status = job->switchClears
                    ? a.set_adapter_cvec(job->ctx, nullptr, 0, job->switchNEmbd, -1, -1)
                    : a.set_adapter_cvec(job->ctx, job->switchData.data(), job->switchData.size(), job->switchNEmbd,
                        job->switchLayerStart, job->switchLayerEnd);
                if (status != 0) { fail("llama_set_adapter_cvec failed at the schedule's switch"); break; }
                job->switched = true;
            }
            if (!decode(&token, 1, true)) break;
            job->decodedGenerated++;
        }
    } while (false);

    if (chain != nullptr) a.sampler_free(chain);
    if (haveBatch) a.batch_free(batch);
    tsfn.BlockingCall(new Message{true});
    tsfn.Release();
}

}  // namespace

// generate(addonContext, expectedNCtx, {sequenceId, firstPosition, input: Int32Array, maxTokens, temperature, topK,
//   topP, minP, seed, switchAt?, switchVector?: {data, layerStart, layerEnd} | null, topLogprobs?: -1..n_vocab,
//   pauseMask?: Uint8Array, gateVector?: {data, layerStart, layerEnd}, vectorOn?: boolean},
//   onTokens(tokens: Int32Array, confidences: Float32Array[, logprobs: Float32Array, topIds: Int32Array,
//   topLogprobs: Float32Array (topLogprobs entries per token)][, paused: boolean]) -> boolean | undefined)
//   -> {done: Promise<result>, stop()}
// paused (gated runs, sixth, the log-probabilities undefined when not asked for): the loop waits at the last of these
// tokens; onTokens' answer is whether the gate is open after it.
// result: {stopReason: "eos" | "maxTokens" | "aborted" | "error", inputDecoded (a count), generated, decodedGenerated,
//   switched, gateSwitches, logprobSteps, eogToken?, eogConfidence?, error?}
Napi::Value Generate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Verified v = verifyContext(env, info[0], optionalU32(info, 1));
    if (!api().generateError.empty()) throw Napi::Error::New(env, api().generateError);
    if (info.Length() < 4 || !info[2].IsObject() || !info[3].IsFunction())
        throw Napi::TypeError::New(env, "generate needs options and an onTokens function");
    Napi::Object options = info[2].As<Napi::Object>();
    Napi::Int32Array input = inputTokens(env, options, v.ctx, "generate");
    const int32_t nVocab = api().vocab_n_tokens(api().model_get_vocab(api().get_model(v.ctx)));

    auto job = std::make_shared<Job>(env);
    void* raw = nullptr;
    napi_unwrap(env, info[0], &raw);
    job->addon = static_cast<AddonContext*>(raw);
    job->ctx = v.ctx;
    job->sequenceId = static_cast<int32_t>(numberField(options, "sequenceId", 0));
    job->firstPosition = static_cast<int32_t>(numberField(options, "firstPosition", -1));
    job->maxTokens = static_cast<int32_t>(numberField(options, "maxTokens", 0));
    const double room = static_cast<double>(v.nCtx) - job->firstPosition - static_cast<double>(input.ElementLength());
    if (job->firstPosition < 0 || job->sequenceId < 0 || job->maxTokens < 1 || job->maxTokens > room)
        throw Napi::RangeError::New(env, "generate: the position, sequence or token count does not fit the context");
    job->input.assign(input.Data(), input.Data() + input.ElementLength());
    job->sampling.temperature = static_cast<float>(numberField(options, "temperature", 0));
    job->sampling.topK = static_cast<int32_t>(numberField(options, "topK", 40));
    job->sampling.topP = static_cast<float>(numberField(options, "topP", 0.95));
    job->sampling.minP = static_cast<float>(numberField(options, "minP", 0));
    job->topLogprobs = static_cast<int32_t>(numberField(options, "topLogprobs", -1));
    if (job->topLogprobs < -1 || job->topLogprobs > nVocab)
        throw Napi::RangeError::New(env, "generate: topLogprobs must be -1 (none) to the vocabulary's size");
    // as node-llama-cpp reads its seed (Napi Uint32Value)
    job->sampling.seed = options.Get("seed").IsNumber() ? options.Get("seed").As<Napi::Number>().Uint32Value() : 0;
    // the schedule's switch: switchAt (a generated-token count ≥ 1) and switchVector ({data, layerStart, layerEnd}, or
    // null to clear), checked here as setControlVector checks a vector
    job->switchAt = static_cast<int32_t>(numberField(options, "switchAt", 0));
    if (job->switchAt < 0) throw Napi::RangeError::New(env, "generate: switchAt must be 0 (none) or a token count");
    job->switchNEmbd = v.nEmbd;
    Napi::Value switchVector = options.Get("switchVector");
    if (job->switchAt > 0 && switchVector.IsObject()) {
        Napi::Object sv = switchVector.As<Napi::Object>();
        Napi::Value data = sv.Get("data");
        if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
            throw Napi::TypeError::New(env, "switchVector.data must be a Float32Array");
        Napi::Float32Array floats = data.As<Napi::Float32Array>();
        const int32_t ilStart = static_cast<int32_t>(numberField(sv, "layerStart", -1));
        const int32_t ilEnd = static_cast<int32_t>(numberField(sv, "layerEnd", -1));
        if (floats.ElementLength() % static_cast<size_t>(v.nEmbd) != 0)
            throw Napi::Error::New(env, "switchVector data length is not a multiple of n_embd");
        if (ilStart < 1 || ilEnd < ilStart || ilEnd >= v.nLayer + 1)
            throw Napi::RangeError::New(env, "switchVector layer range is outside the model's layers");
        job->switchClears = false;
        job->switchData.assign(floats.Data(), floats.Data() + floats.ElementLength());
        job->switchLayerStart = ilStart;
        job->switchLayerEnd = ilEnd;
    }
    // the gate (steer-code off): pauseMask (a Uint8Array over the vocabulary), gateVector ({data, layerStart,
    // layerEnd}: the steering when on) and vectorOn (whether it is on when the loop starts)
    Napi::Value pauseMask = options.Get("pauseMask");
    if (pauseMask.IsTypedArray()) {
        if (pauseMask.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array || pauseMask.As<Napi::Uint8Array>().ElementLength() != static_cast<size_t>(nVocab))
            throw Napi::TypeError::New(env, "pauseMask must be a Uint8Array with one entry per vocabulary token");
        Napi::Uint8Array mask = pauseMask.As<Napi::Uint8Array>();
        Napi::Value gv = options.Get("gateVector");
        if (!gv.IsObject() || !gv.As<Napi::Object>().Get("data").IsTypedArray() ||
            gv.As<Napi::Object>().Get("data").As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
            throw Napi::TypeError::New(env, "gateVector must be {data: Float32Array, layerStart, layerEnd}");
        Napi::Object g = gv.As<Napi::Object>();
        Napi::Float32Array floats = g.Get("data").As<Napi::Float32Array>();
        const int32_t ilStart = static_cast<int32_t>(numberField(g, "layerStart", -1));
        const int32_t ilEnd = static_cast<int32_t>(numberField(g, "layerEnd", -1));
        if (floats.ElementLength() % static_cast<size_t>(v.nEmbd) != 0)
            throw Napi::Error::New(env, "gateVector data length is not a multiple of n_embd");
        if (ilStart < 1 || ilEnd < ilStart || ilEnd >= v.nLayer + 1)
            throw Napi::RangeError::New(env, "gateVector layer range is outside the model's layers");
        job->gated = true;
        job->pauseMask.assign(mask.Data(), mask.Data() + mask.ElementLength());
        job->gateData.assign(floats.Data(), floats.Data() + floats.ElementLength());
        job->gateLayerStart = ilStart;
        job->gateLayerEnd = ilEnd;
        job->initiallyOn = options.Get("vectorOn").ToBoolean().Value();
    }
    job->owner = Napi::Persistent(info[0].As<Napi::Object>());

    auto* holder = new std::shared_ptr<Job>(job);
    TokenTsfn tsfn = TokenTsfn::New(env, info[3].As<Napi::Function>(), "steer-chat generate", 0, 1, holder,
        [](Napi::Env, void*, std::shared_ptr<Job>* h) { delete h; });
    std::thread(runLoop, job, tsfn).detach();

    Napi::Object out = Napi::Object::New(env);
    out.Set("done", job->deferred.Promise());
    std::weak_ptr<Job> weak = job;
    out.Set("stop", Napi::Function::New(env, [weak](const Napi::CallbackInfo& i) {
        if (auto j = weak.lock()) {
            std::lock_guard<std::mutex> lock(j->mutex);
            j->stopRequested = true;
            j->decisionReady.notify_all();
        }
        return i.Env().Undefined();
    }));
    return out;
}

}  // namespace steer
