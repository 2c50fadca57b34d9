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

// A value other than the three is a usage error (exit 2: "--dtype: x not in {fp32,bf16,int8}").
// use_dtype applies it before the pipeline is loaded; returns 0 (or fail()'s 1 for a value the
// option's check let through).
int use_dtype(const std::optional<std::string>& value);

}  // namespace trfpipe::cli
