{
  "targets": [
    {
      "target_name": "steer_native",
      "sources": ["native/module.cc", "native/library_lookup.cc", "native/context_check.cc", "native/control_vector.cc",
        "native/mix_kernel.cc", "native/capture.cc",
        "native/thread_pool.cc", "native/generate.cc", "native/generate_batch.cc"],
      "include_dirs": ["<!@(node scripts/native-include-dirs.cjs)"],
      "defines": ["NAPI_VERSION=7", "NAPI_CPP_EXCEPTIONS", "<!@(node scripts/native-defines.cjs)"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-ffp-contract=off"],
      "libraries": ["-ldl"],
      "xcode_settings": {"GCC_ENABLE_CPP_EXCEPTIONS": "YES", "CLANG_CXX_LANGUAGE_STANDARD": "c++17", "OTHER_CPLUSPLUSFLAGS": ["-ffp-contract=off"]}
    }
  ]
}
