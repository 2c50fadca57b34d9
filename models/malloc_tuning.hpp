// glibc malloc settings for LibTorch's large, short-lived tensor buffers, applied once when
// libtrfpipe.so is loaded (models/malloc_tuning.cpp explains why). TRFPIPE_MALLOC_TUNING=0 in the
// environment leaves glibc's defaults.
#pragma once
#include <string>

namespace trfpipe::models {

struct MallocTuning {
  bool active = false;     // mallopt succeeded for what it set
  std::string description; // one line for benchmarks and logs: what was set, or why not
};

// What the load-time initializer did (the same answer on every call).
const MallocTuning& malloc_tuning();

}  // namespace trfpipe::models
