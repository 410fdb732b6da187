// The batched generation loop: several sequences of one llama context generating together, one llama_decode per
// step with one token per active sequence, each sequence with its own sampler chain (sampler_chain.h, the chain
// generate.cc builds). The server runs requests whose steering is equal this way: a control vector belongs to the
// whole context, so only requests with the same one may share a decode (the JS side sees to that).
//
// A run is started empty and lives until JS closes it; members join it between steps. A member's prompt is decoded
// on its own at the start of the next step (the other members wait for it), in batches of n_batch with logits for
// its last token only, exactly as generate.cc decodes it, and its sequence is emptied from its first position first
// (llama_memory_seq_rm): a member starts from a fresh sequence without taking node-llama-cpp's context lock, which
// the run holds. Then each step decodes the last sampled token of every active member in one batch and samples each
// member from its own row of logits. A member stops on an end-of-generation token, its token budget, or its stop()
// (a client gone): it alone leaves the batch.
//
// As in generate.cc, every llama.cpp call happens with the context's dispose mutex held and the context checked
// alive, and tokens are streamed to JS through one thread-safe function, a call in flight at a time.

#include <atomic>
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

// every run's steps, for batchStats(): decodes of generated tokens, and those that carried more than one sequence
std::atomic<int64_t> stepDecodes{0};
std::atomic<int64_t> sharedDecodes{0};
std::atomic<int64_t> membersRun{0};

enum class Stop { Eog, MaxTokens, Aborted, Error };

struct Member {
    // set on the JS thread when it is added
    int32_t sequenceId = 0;
    int32_t firstPosition = 0;
    std::vector<llama_token> input;
    int32_t maxTokens = 0;
    Sampling sampling;
    std::atomic<bool> stopRequested{false};

    // the loop's own
    llama_sampler* chain = nullptr;
    int32_t position = 0;
    llama_token next = -1;

    // results: written by the loop before `finished` is set under the run's mutex, read by JS after
    Stop stop = Stop::Error;
    std::string error;
    int32_t generated = 0;
    int32_t decodedGenerated = 0;
    int32_t inputDecoded = 0;
    llama_token eogToken = -1;
    float eogConfidence = 0;

    // under the run's mutex
    std::vector<int32_t> pendingTokens;
    std::vector<float> pendingConfidences;
    bool finished = false;

    // JS thread only
    Napi::FunctionReference onTokens;
    Napi::Promise::Deferred deferred;
    bool settled = false;

    explicit Member(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
};

struct Run {
    AddonContext* addon = nullptr;
    llama_context* ctx = nullptr;
    uint32_t nCtx = 0;

    std::mutex mutex;
    std::condition_variable wake;
    std::vector<std::shared_ptr<Member>> incoming;  // added, not yet taken by the loop
    bool closed = false;
    bool notifyQueued = false;
    int64_t steps = 0;
    int64_t sharedSteps = 0;
    int32_t widest = 0;

    // JS thread only
    std::vector<std::shared_ptr<Member>> members;  // added and not yet settled
    Napi::ObjectReference owner;
    Napi::Promise::Deferred deferred;
    bool resolved = false;

    explicit Run(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
};

struct Message {
    bool last;
};

Napi::Object resultOf(Napi::Env env, const Member& m) {
    Napi::Object result = Napi::Object::New(env);
    static const char* names[] = {"eos", "maxTokens", "aborted", "error"};
    result.Set("stopReason", Napi::String::New(env, names[static_cast<int>(m.stop)]));
    result.Set("inputDecoded", Napi::Number::New(env, m.inputDecoded));
    result.Set("generated", Napi::Number::New(env, m.generated));
    result.Set("decodedGenerated", Napi::Number::New(env, m.decodedGenerated));
    if (m.eogToken >= 0) {
        result.Set("eogToken", Napi::Number::New(env, m.eogToken));
        result.Set("eogConfidence", Napi::Number::New(env, m.eogConfidence));
    }
    if (!m.error.empty()) result.Set("error", Napi::String::New(env, m.error));
    return result;
}

// JS side: hands each member the tokens that arrived to its onTokens, settles the members that finished, and the
// run's promise once the loop has returned.
void deliver(Napi::Env env, Napi::Function, std::shared_ptr<Run>* holder, Message* message) {
    std::shared_ptr<Run> run = *holder;
    const bool last = message->last;
    delete message;
    if (env == nullptr) return;
    struct Taken {
        std::shared_ptr<Member> member;
        std::vector<int32_t> tokens;
        std::vector<float> confidences;
        bool finished;
    };
    std::vector<Taken> taken;
    {
        std::lock_guard<std::mutex> lock(run->mutex);
        run->notifyQueued = false;
        for (auto& m : run->members) {
            Taken t{m, {}, {}, m->finished};
            t.tokens.swap(m->pendingTokens);
            t.confidences.swap(m->pendingConfidences);
            if (!t.tokens.empty() || t.finished) taken.push_back(std::move(t));
        }
    }
    for (auto& t : taken) {
        if (!t.tokens.empty() && !t.member->onTokens.IsEmpty()) {
            Napi::Int32Array tokenArray = Napi::Int32Array::New(env, t.tokens.size());
            std::copy(t.tokens.begin(), t.tokens.end(), tokenArray.Data());
            Napi::Float32Array confidenceArray = Napi::Float32Array::New(env, t.confidences.size());
            std::copy(t.confidences.begin(), t.confidences.end(), confidenceArray.Data());
            try {
                t.member->onTokens.Call({tokenArray, confidenceArray});
            } catch (const Napi::Error& e) {
                // as generate.cc: the member stops; its error is reported when it has ended
                t.member->stopRequested = true;
                std::lock_guard<std::mutex> lock(run->mutex);
                if (t.member->error.empty()) t.member->error = std::string("onTokens threw: ") + e.Message();
            }
        }
        if (t.finished && !t.member->settled) {
            t.member->settled = true;
            t.member->onTokens.Reset();
            Napi::Object result;
            {
                std::lock_guard<std::mutex> lock(run->mutex);
                result = resultOf(env, *t.member);
            }
            t.member->deferred.Resolve(result);
        }
    }
    run->members.erase(std::remove_if(run->members.begin(), run->members.end(),
        [](const std::shared_ptr<Member>& m) { return m->settled; }), run->members.end());
    if (!last || run->resolved) return;
    run->resolved = true;
    Napi::Object stats = Napi::Object::New(env);
    stats.Set("steps", Napi::Number::New(env, static_cast<double>(run->steps)));
    stats.Set("sharedSteps", Napi::Number::New(env, static_cast<double>(run->sharedSteps)));
    stats.Set("widest", Napi::Number::New(env, run->widest));
    run->owner.Reset();
    run->deferred.Resolve(stats);
}

using RunTsfn = Napi::TypedThreadSafeFunction<std::shared_ptr<Run>, Message, deliver>;

void notify(Run& run, RunTsfn& tsfn) {
    bool send = false;
    {
        std::lock_guard<std::mutex> lock(run.mutex);
        send = !run.notifyQueued;
        run.notifyQueued = true;
    }
    if (send) tsfn.NonBlockingCall(new Message{false});
}

void runLoop(const std::shared_ptr<Run>& run, RunTsfn tsfn) {
    const Api& a = api();
    std::vector<std::shared_ptr<Member>> active;
    std::vector<std::shared_ptr<Member>> joining;
    std::vector<llama_token_data> candidates;
    llama_batch batch{};
    bool haveBatch = false;
    const llama_vocab* vocab = nullptr;
    int32_t nVocab = 0;
    int32_t nBatch = 1;

    auto alive = [&]() { return !run->addon->disposed && run->addon->ctx == run->ctx; };
    // a member leaves: its results are final once `finished` is set
    auto finish = [&](const std::shared_ptr<Member>& m, Stop stop, const std::string& why) {
        if (m->chain != nullptr) a.sampler_free(m->chain);
        m->chain = nullptr;
        std::lock_guard<std::mutex> lock(run->mutex);
        m->stop = stop;
        if (!why.empty() && m->error.empty()) m->error = why;
        m->finished = true;
    };
    // one token sampled from `logits` for m, handled as generate.cc handles it; false when m has left
    auto sample = [&](const std::shared_ptr<Member>& m, const float* logits) {
        if (logits == nullptr) { finish(m, Stop::Error, "llama.cpp returned no logits"); return false; }
        for (int32_t id = 0; id < nVocab; id++) candidates[id] = llama_token_data{id, logits[id], 0.0f};
        llama_token_data_array cur{candidates.data(), static_cast<size_t>(nVocab), -1, false};
        a.sampler_apply(m->chain, &cur);
        if (cur.size == 0 || cur.selected < 0 || cur.selected >= static_cast<int64_t>(cur.size)) {
            finish(m, Stop::Error, "Failed to sample next token");
            return false;
        }
        const float confidence = confidenceOf(cur);
        const llama_token token = cur.data[cur.selected].id;
        if (a.vocab_is_eog(vocab, token)) {
            m->eogToken = token;
            m->eogConfidence = confidence;
            finish(m, Stop::Eog, "");
            return false;
        }
        m->generated++;
        {
            std::lock_guard<std::mutex> lock(run->mutex);
            m->pendingTokens.push_back(token);
            m->pendingConfidences.push_back(confidence);
        }
        if (m->stopRequested) { finish(m, Stop::Aborted, ""); return false; }
        if (m->generated >= m->maxTokens) { finish(m, Stop::MaxTokens, ""); return false; }
        m->next = token;
        return true;
    };
    // a joining member: its sequence emptied from its first position, its prompt decoded alone, its first token
    auto start = [&](const std::shared_ptr<Member>& m) {
        // stopped (its client gone) before it started: its prompt is not decoded, which would hold up every member
        if (m->stopRequested) { finish(m, Stop::Aborted, ""); return; }
        m->chain = buildChain(m->sampling, nVocab);
        m->position = m->firstPosition;
        if (!a.memory_seq_rm(a.get_memory(run->ctx), m->sequenceId, m->firstPosition, -1)) {
            finish(m, Stop::Error, "llama_memory_seq_rm failed");
            return;
        }
        const int32_t n = static_cast<int32_t>(m->input.size());
        for (int32_t from = 0; from < n; from += nBatch) {
            const int32_t count = std::min(nBatch, n - from);
            for (int32_t i = 0; i < count; i++) {
                batch.token[i] = m->input[from + i];
                batch.pos[i] = m->position + i;
                batch.n_seq_id[i] = 1;
                batch.seq_id[i][0] = m->sequenceId;
                batch.logits[i] = from + count >= n && i + 1 == count;
            }
            batch.n_tokens = count;
            const int32_t status = a.decode(run->ctx, batch);
            if (status != 0) { finish(m, Stop::Error, "llama_decode failed (status " + std::to_string(status) + ")"); return; }
            m->position += count;
            m->inputDecoded += count;
        }
        if (sample(m, a.get_logits_ith(run->ctx, -1))) active.push_back(m);
    };

    {
        std::lock_guard<std::mutex> lock(run->addon->disposeMutex);
        if (alive()) {
            vocab = a.model_get_vocab(a.get_model(run->ctx));
            nVocab = a.vocab_n_tokens(vocab);
            nBatch = static_cast<int32_t>(std::max(1u, a.n_batch(run->ctx)));
            batch = a.batch_init(nBatch, 0, 1);
            haveBatch = true;
            candidates.resize(static_cast<size_t>(nVocab));
        }
    }

    while (true) {
        {
            std::unique_lock<std::mutex> lock(run->mutex);
            run->wake.wait(lock, [&] { return !run->incoming.empty() || !active.empty() || run->closed; });
            if (run->incoming.empty() && active.empty()) break;  // closed, and nothing left
            joining.swap(run->incoming);
        }
        {
            std::lock_guard<std::mutex> lock(run->addon->disposeMutex);
            if (!haveBatch || !alive()) {
                for (auto& m : joining) finish(m, Stop::Error, "the llama context was disposed");
                for (auto& m : active) finish(m, Stop::Error, "the llama context was disposed");
                joining.clear();
                active.clear();
            }
            for (auto& m : joining) start(m);
            joining.clear();
            // members past the batch's room wait for a later step (JS keeps them within n_batch)
            const int32_t width = std::min(static_cast<int32_t>(active.size()), nBatch);
            if (width > 0) {
                for (int32_t i = 0; i < width; i++) {
                    const auto& m = active[i];
                    batch.token[i] = m->next;
                    batch.pos[i] = m->position;
                    batch.n_seq_id[i] = 1;
                    batch.seq_id[i][0] = m->sequenceId;
                    batch.logits[i] = true;
                }
                batch.n_tokens = width;
                const int32_t status = a.decode(run->ctx, batch);
                stepDecodes++;
                run->steps++;
                if (width > 1) { sharedDecodes++; run->sharedSteps++; }
                run->widest = std::max(run->widest, width);
                std::vector<std::shared_ptr<Member>> kept;
                for (int32_t i = 0; i < static_cast<int32_t>(active.size()); i++) {
                    const auto& m = active[i];
                    if (i >= width) { kept.push_back(m); continue; }
                    if (status != 0) { finish(m, Stop::Error, "llama_decode failed (status " + std::to_string(status) + ")"); continue; }
                    m->position++;
                    m->decodedGenerated++;
                    if (sample(m, a.get_logits_ith(run->ctx, i))) kept.push_back(m);
                }
                active.swap(kept);
            }
        }
        notify(*run, tsfn);
    }

    if (haveBatch) a.batch_free(batch);
    tsfn.BlockingCall(new Message{true});
    tsfn.Release();
}

// run.add({sequenceId, firstPosition, input: Int32Array, maxTokens, temperature, topK, topP, minP, seed}, onTokens)
//   -> {done: Promise<result>, stop()}
Napi::Value Add(const Napi::CallbackInfo& info, const std::shared_ptr<Run>& run) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction())
        throw Napi::TypeError::New(env, "add needs options and an onTokens function");
    {
        std::lock_guard<std::mutex> lock(run->mutex);
        if (run->closed) throw Napi::Error::New(env, "the batch run is closed");
    }
    Verified v = verifyContext(env, run->owner.Value(), 0);
    if (v.ctx != run->ctx) throw Napi::Error::New(env, "the llama context changed under the batch run");
    Napi::Object options = info[0].As<Napi::Object>();
    Napi::Int32Array input = inputTokens(env, options, v.ctx, "a batch member");

    auto m = std::make_shared<Member>(env);
    m->sequenceId = static_cast<int32_t>(numberField(options, "sequenceId", -1));
    m->firstPosition = static_cast<int32_t>(numberField(options, "firstPosition", -1));
    m->maxTokens = static_cast<int32_t>(numberField(options, "maxTokens", 0));
    // the room is the sequence's (JS gives its context size): n_ctx is the whole context, shared by the sequences
    const double seqCtx = numberField(options, "sequenceContextSize", 0);
    const double room = seqCtx - m->firstPosition - static_cast<double>(input.ElementLength());
    // a sequence id the context does not have would reach llama_memory_seq_rm, whose GGML_ASSERT ends the process
    if (m->sequenceId >= static_cast<int32_t>(api().n_seq_max(v.ctx)))
        throw Napi::RangeError::New(env, "sequenceId " + std::to_string(m->sequenceId) + " is not a sequence of this context");
    if (m->firstPosition < 0 || m->sequenceId < 0 || m->maxTokens < 1 || seqCtx < 1 || seqCtx > v.nCtx || m->maxTokens > room)
        throw Napi::RangeError::New(env, "add: the position, sequence or token count does not fit the context");
    m->input.assign(input.Data(), input.Data() + input.ElementLength());
    m->sampling.temperature = static_cast<float>(numberField(options, "temperature", 0));
    m->sampling.topK = static_cast<int32_t>(numberField(options, "topK", 40));
    m->sampling.topP = static_cast<float>(numberField(options, "topP", 0.95));
    m->sampling.minP = static_cast<float>(numberField(options, "minP", 0));
    m->sampling.seed = options.Get("seed").IsNumber() ? options.Get("seed").As<Napi::Number>().Uint32Value() : 0;
    m->onTokens = Napi::Persistent(info[1].As<Napi::Function>());
    run->members.push_back(m);
    membersRun++;
    {
        std::lock_guard<std::mutex> lock(run->mutex);
        run->incoming.push_back(m);
    }
    run->wake.notify_one();

    Napi::Object out = Napi::Object::New(env);
    out.Set("done", m->deferred.Promise());
    std::weak_ptr<Member> weak = m;
    out.Set("stop", Napi::Function::New(env, [weak](const Napi::CallbackInfo& i) {
        if (auto member = weak.lock()) member->stopRequested = true;
        return i.Env().Undefined();
    }));
    return out;
}

}  // namespace

// startBatch(addonContext, expectedNCtx) -> {add(options, onTokens), close(), done: Promise<{steps, sharedSteps, widest}>}
// A run decodes nothing until a member is added, and ends once closed with no member left.
Napi::Value StartBatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Verified v = verifyContext(env, info[0], optionalU32(info, 1));
    if (!api().generateError.empty()) throw Napi::Error::New(env, api().generateError);
    if (!api().batchError.empty()) throw Napi::Error::New(env, api().batchError);
    auto run = std::make_shared<Run>(env);
    void* raw = nullptr;
    napi_unwrap(env, info[0], &raw);
    run->addon = static_cast<AddonContext*>(raw);
    run->ctx = v.ctx;
    run->nCtx = v.nCtx;
    run->owner = Napi::Persistent(info[0].As<Napi::Object>());

    auto* holder = new std::shared_ptr<Run>(run);
    RunTsfn tsfn = RunTsfn::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return i.Env().Undefined(); }),
        "steer-chat generateBatch", 0, 1, holder, [](Napi::Env, void*, std::shared_ptr<Run>* h) { delete h; });
    std::thread(runLoop, run, tsfn).detach();

    Napi::Object out = Napi::Object::New(env);
    out.Set("done", run->deferred.Promise());
    out.Set("add", Napi::Function::New(env, [run](const Napi::CallbackInfo& i) { return Add(i, run); }));
    out.Set("close", Napi::Function::New(env, [run](const Napi::CallbackInfo& i) {
        {
            std::lock_guard<std::mutex> lock(run->mutex);
            run->closed = true;
        }
        run->wake.notify_one();
        return i.Env().Undefined();
    }));
    return out;
}

// batchStats() -> {steps, sharedSteps, members}: every run's generation steps, those that decoded more than one
// sequence together, and the members run, since the helper was loaded
Napi::Value BatchStats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object out = Napi::Object::New(env);
    out.Set("steps", Napi::Number::New(env, static_cast<double>(stepDecodes.load())));
    out.Set("sharedSteps", Napi::Number::New(env, static_cast<double>(sharedDecodes.load())));
    out.Set("members", Napi::Number::New(env, static_cast<double>(membersRun.load())));
    return out;
}

}  // namespace steer
