// .cfg text: parse (raw, confection's interpolate=False), interpolate, write back and re-read.
#include "fuzz/fuzz_common.hpp"
#include "trfpipe/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trfpipe;
  const std::string_view text = fuzz::bytes_of(data, size);
  fuzz::expect_clean([&] {
    Json raw = parse_cfg(text, "<fuzz>");
    const std::string written = write_cfg(raw);
    parse_cfg(written, "<fuzz written>");
    Json filled = interpolate(raw);
    write_cfg(filled);
  });
  fuzz::expect_clean([&] { load_config(text, {{"paths.train", "\"x\""}}, true, "<fuzz>"); });
  return 0;
}
