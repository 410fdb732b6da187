// Architectures whose llama.cpp graph adds the control vector (calls build_cvec), from the llama.cpp source
// node-llama-cpp 3.22.1 bundles (release v0.5.0): grep -l build_cvec src/models/*.cpp. Regenerate on upgrade.
export const CVEC_ARCHITECTURES: ReadonlySet<string> = new Set([
    "afmoe", "apertus", "arcee", "arctic", "arwkv7", "baichuan", "bailingmoe", "bailingmoe2", "bailingmoe3",
    "bitnet", "bloom", "chameleon", "chatglm", "codeshell", "cogvlm", "cohere2", "cohere2moe", "command-r", "dbrx",
    "deci", "deepseek", "deepseek2", "deepseek32", "deepseek4", "dots1", "dots3note", "dream", "ernie4-5-moe",
    "ernie4-5", "exaone-moe", "exaone", "exaone4", "falcon-h1", "falcon", "gemma-embedding", "gemma", "gemma2",
    "gemma3", "gemma3n", "gemma4", "glm-dsa", "glm4-moe", "glm4", "gpt2", "gptneox", "granite-hybrid",
    "granite-swa", "granite-switch", "granite", "grok", "grovemoe", "hrm-text", "hunyuan-moe", "hunyuan-vl",
    "hy-v3", "internlm2", "jais", "jais2", "jamba", "kimi-k3", "kimi-linear", "laguna", "lfm2", "llada-moe",
    "llada", "llama", "llama4", "maincoder", "mamba", "maple", "mellum", "mimo2", "minicpm3", "minimax-01",
    "minimax-m2", "minimax-m3", "mistral3", "mpt", "muse-glimmer", "nanbeige", "nemotron-h", "nemotron", "olmo",
    "olmo2", "olmoe", "openai-moe", "openelm", "orion", "paddleocr", "pangu-embed", "phi2", "phi3", "plamo",
    "plamo3", "plm", "pockettts", "qwen", "qwen2", "qwen2moe", "qwen2vl", "qwen3", "qwen35", "qwen35moe",
    "qwen3moe", "qwen3next", "qwen3vl", "qwen3vlmoe", "qwen4exp", "refact", "rnd1", "rwkv6", "rwkv6qwen2", "rwkv7",
    "seed-oss", "smallthinker", "smollm3", "spark2-5", "stablelm", "starcoder", "starcoder2", "step35", "t5",
    "talkie", "xverse"
]);
