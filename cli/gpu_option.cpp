#include "cli/gpu_option.hpp"

#include <CLI/CLI.hpp>

#include <climits>

#include "cli/common.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/trfpipe.hpp"

namespace trfpipe::cli {

void add_gpu_id_option(CLI::App& app, std::optional<std::string>& value) {
  add_optional_option(app, "-g,--gpu-id", value,
                      "CUDA device for the transformer encoders (-1 = CPU, the default)")
      ->type_name("INT");
}

int use_gpu_id(const std::optional<std::string>& value) {
  if (!value) return 0;
  const auto id = parse_integer(*value, INT_MIN, INT_MAX);
  if (!id) return fail("--gpu-id must be an integer (-1 = CPU), got '" + *value + "'");
  try {
    require_gpu(static_cast<int>(*id));
  } catch (const ValueError& e) {
    return fail("Cannot use --gpu-id " + *value, e.what());
  }
  return 0;
}

}  // namespace trfpipe::cli
