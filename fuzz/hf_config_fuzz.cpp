// A Hugging Face config.json (HFConfig): every family's key names, limits, overrides and the
// JSON written back. No modules are built (that needs weights to compare with).
#include "fuzz/fuzz_common.hpp"
#include "trfpipe/json_limits.hpp"
#include "trfpipe/torch/hf_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trfpipe;
  auto [config, overrides] = fuzz::split_at_nul(fuzz::bytes_of(data, size));
  Json j, o;
  try {
    j = parse_json_limited<Json>(config);
    o = overrides.empty() ? Json(nullptr) : parse_json_limited<Json>(overrides);
  } catch (const nlohmann::json::parse_error&) {
    return 0;
  }
  fuzz::expect_clean([&] {
    HFConfig c = HFConfig::from_json(j);
    HFConfig again = HFConfig::from_json(c.to_json());
    again.with_overrides(o).to_json().dump();
  });
  return 0;
}
