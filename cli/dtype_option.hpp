// `--dtype fp32|bf16|int8` (apply, evaluate, benchmark speed, serve): the precision of the
// transformer encoders' linear layers at inference on the CPU (trfpipe/inference_dtype.hpp).
#pragma once
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace trfpipe::cli {

void add_dtype_option(CLI::App& app, std::optional<std::string>& value);

// Applies --dtype before the pipeline is loaded. Returns 0, or fail()'s 1 naming the option and
// the choices when the value is none of them.
int use_dtype(const std::optional<std::string>& value);

}  // namespace trfpipe::cli
