// `--gpu-id/-g N` (spaCy's option on train, evaluate and apply): N >= 0 puts the transformer
// encoders on CUDA device N (require_gpu), -1 (the default) keeps everything on the CPU.
#pragma once
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace trfpipe::cli {

// Adds --gpu-id/-g to `app`. The value stays text until use_gpu_id: a bad one is a failure of the
// command (exit 1, as before CLI11), named together with the GPU that cannot be used.
void add_gpu_id_option(CLI::App& app, std::optional<std::string>& value);

// Applies --gpu-id before the pipeline is loaded. Returns 0, or fail()'s 1 with the reason when
// the value is not an integer or the GPU cannot be used (no CUDA in this LibTorch, no such device).
int use_gpu_id(const std::optional<std::string>& value);

}  // namespace trfpipe::cli
