// Finds the libllama (and libggml-base, libggml-cpu) node-llama-cpp already loaded in this process and resolves
// the llama.cpp symbols steer-chat calls into the table of llama_api.h. The libraries are found by walking the
// loaded images (dl_iterate_phdr on Linux, dyld's image list on macOS) and opened with RTLD_NOLOAD, so no second
// copy of llama.cpp is ever linked or loaded.

#include <dlfcn.h>
#if defined(__APPLE__)
#include <mach-o/dyld.h>
#else
#include <link.h>
#endif
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
        resolve(llama, "llama_n_seq_max", a.n_seq_max, missing);
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

        // optional: the generation loop's calls
        std::string generation;
        resolve(llama, "llama_n_batch", a.n_batch, generation);
        resolve(llama, "llama_vocab_is_eog", a.vocab_is_eog, generation);
        resolve(llama, "llama_sampler_chain_default_params", a.sampler_chain_default_params, generation);
        resolve(llama, "llama_sampler_chain_init", a.sampler_chain_init, generation);
        resolve(llama, "llama_sampler_chain_add", a.sampler_chain_add, generation);
        resolve(llama, "llama_sampler_init_greedy", a.sampler_init_greedy, generation);
        resolve(llama, "llama_sampler_init_dist", a.sampler_init_dist, generation);
        resolve(llama, "llama_sampler_init_top_k", a.sampler_init_top_k, generation);
        resolve(llama, "llama_sampler_init_top_p", a.sampler_init_top_p, generation);
        resolve(llama, "llama_sampler_init_min_p", a.sampler_init_min_p, generation);
        resolve(llama, "llama_sampler_init_temp", a.sampler_init_temp, generation);
        resolve(llama, "llama_sampler_apply", a.sampler_apply, generation);
        resolve(llama, "llama_sampler_free", a.sampler_free, generation);
        if (!missing.empty() || !generation.empty())
            a.generateError = "the generation loop needs " + missing + (missing.empty() || generation.empty() ? "" : ", ") + generation +
                ", missing from node-llama-cpp's llama.cpp";
        std::string batched;
        resolve(llama, "llama_memory_seq_rm", a.memory_seq_rm, batched);
        if (!batched.empty()) a.batchError = "the batched generation loop needs " + batched + ", missing from node-llama-cpp's llama.cpp";

        // optional: without these, contexts run without a persistent thread pool (capture on a single thread)
        std::string optional;
        void* ggmlCpu = libs.ggmlCpu.empty() ? nullptr : dlopen(libs.ggmlCpu.c_str(), RTLD_NOW | RTLD_NOLOAD);
        resolve(llama, "llama_attach_threadpool", a.attach_threadpool, optional);
        resolve(llama, "llama_detach_threadpool", a.detach_threadpool, optional);
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

}  // namespace steer
