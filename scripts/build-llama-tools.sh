#!/usr/bin/env bash
# Builds llama.cpp's own reference tools (llama-completion, llama-cvector-generator) from the exact llama.cpp
# source that node-llama-cpp bundles, offline. Their output is the reference our fixtures are made from.
# Usage: scripts/build-llama-tools.sh  -> binaries in .cache/llama-tools/bin
set -euo pipefail
cd "$(dirname "$0")/.."
src=node_modules/node-llama-cpp/llama/llama.cpp
[ -f "$src/CMakeLists.txt" ] || npx --no node-llama-cpp source download --skipBuild >/dev/null
out=.cache/llama-tools
cmake -S "$src" -B "$out" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DGGML_NATIVE=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF -DBUILD_SHARED_LIBS=OFF >/dev/null
cmake --build "$out" -j"$(nproc)" --target llama-completion llama-cvector-generator
ls -l "$out/bin/llama-completion" "$out/bin/llama-cvector-generator"
