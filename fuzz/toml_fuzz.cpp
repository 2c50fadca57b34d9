// TOML configs: parse (toml++), interpolate, write as TOML and .cfg.
#include "fuzz/fuzz_common.hpp"
#include "trfpipe/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trfpipe;
  fuzz::expect_clean([&] {
    Json raw = parse_toml(fuzz::bytes_of(data, size), "<fuzz>.toml");
    parse_toml(write_toml(raw), "<fuzz written>.toml");
    write_cfg(interpolate(raw));
  });
  return 0;
}
