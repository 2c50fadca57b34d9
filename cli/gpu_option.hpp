// `--gpu-id/-g N` (spaCy's option on train, evaluate and apply): N >= 0 puts the transformer
// encoders on CUDA device N (require_gpu), -1 (the default) keeps everything on the CPU.
#pragma once
#include "cli/args.hpp"

namespace trfpipe::cli {

OptionSpec gpu_id_option();

// Applies --gpu-id before the pipeline is loaded. Returns 0, or fail()'s 1 with the reason when
// the value is not an integer or the GPU cannot be used (no CUDA in this LibTorch, no such device).
int use_gpu_id(const Args& args);

}  // namespace trfpipe::cli
