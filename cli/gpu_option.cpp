#include "cli/gpu_option.hpp"

#include <climits>
#include <string>

#include "cli/common.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/trfpipe.hpp"

namespace trfpipe::cli {

OptionSpec gpu_id_option() { return {"--gpu-id", "-g", false, "GPU id (-1 = CPU)"}; }

int use_gpu_id(const Args& args) {
  auto value = args.get("--gpu-id");
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
