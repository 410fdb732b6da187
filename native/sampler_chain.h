// The sampler chain and the chosen token's probability, as node-llama-cpp builds and computes them: shared by the
// single-sequence loop (generate.cc) and the batched one (generate_batch.cc), so both sample alike.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "llama_api.h"

namespace steer {

struct Sampling {
    float temperature = 0;
    int32_t topK = 40;
    float topP = 0.95f;
    float minP = 0;
    uint32_t seed = 0;
};

// node-llama-cpp's chain (AddonSampler::rebuildChainIfNeeded with the config _resolveSamplerConfig gives): greedy
// alone at temperature 0; else top-k, top-p (when 0 ≤ p ≤ 1), min-p (when > 0), temperature, then dist(seed).
inline llama_sampler* buildChain(const Sampling& s, int32_t nVocab) {
    const Api& a = api();
    llama_sampler* chain = a.sampler_chain_init(a.sampler_chain_default_params());
    if (s.temperature <= 0.0f) {
        a.sampler_chain_add(chain, a.sampler_init_greedy());
        return chain;
    }
    a.sampler_chain_add(chain, a.sampler_init_top_k(s.topK <= 0 ? nVocab : std::min(s.topK, nVocab)));
    if (s.topP >= 0.0f && s.topP <= 1.0f) a.sampler_chain_add(chain, a.sampler_init_top_p(s.topP, 1));
    if (s.minP > 0.0f) a.sampler_chain_add(chain, a.sampler_init_min_p(s.minP, 1));
    a.sampler_chain_add(chain, a.sampler_init_temp(s.temperature));
    a.sampler_chain_add(chain, a.sampler_init_dist(s.seed));
    return chain;
}

// The probability of the chosen token in the distribution the chain left (node-llama-cpp's "confidence"): a softmax
// over the remaining candidates' logits. node-llama-cpp sorts the whole vocabulary first to compute it (a sort of
// 128k entries per token on a real model); the sum needs no order, and is kept in double.
inline float confidenceOf(const llama_token_data_array& cur) {
    float maxLogit = cur.data[0].logit;
    for (size_t i = 1; i < cur.size; i++) maxLogit = std::max(maxLogit, cur.data[i].logit);
    double sum = 0.0;
    for (size_t i = 0; i < cur.size; i++) sum += std::exp(static_cast<double>(cur.data[i].logit) - maxLogit);
    return static_cast<float>(std::exp(static_cast<double>(cur.data[cur.selected].logit) - maxLogit) / sum);
}

}  // namespace steer
