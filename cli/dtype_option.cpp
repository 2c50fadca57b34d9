#include "cli/dtype_option.hpp"

#include <CLI/CLI.hpp>

#include "cli/common.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/inference_dtype.hpp"

namespace trfpipe::cli {

void add_dtype_option(CLI::App& app, std::optional<std::string>& value) {
  add_optional_option(app, "--dtype", value,
                      "precision of the transformer encoders' linear layers on the CPU: fp32 (the "
                      "default, exact), bf16 (AVX512-BF16) or int8 (dynamic quantisation, VNNI); "
                      "fp32 with a warning where the CPU lacks them")
      ->type_name("DTYPE")
      ->check(CLI::IsMember({"fp32", "bf16", "int8"}));  // a usage error (exit 2), as other choices
}

int use_dtype(const std::optional<std::string>& value) {
  if (!value) return 0;
  try {
    require_inference_dtype(parse_inference_dtype(*value, "--dtype"));
  } catch (const ValueError& e) {
    return fail(e.what());
  }
  return 0;
}

}  // namespace trfpipe::cli
