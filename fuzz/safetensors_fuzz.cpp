// safetensors bytes (model.safetensors, a component's `model` file): header JSON, dtypes,
// shapes and offsets against the bytes present; what parses is written and read back.
#include "fuzz/fuzz_common.hpp"
#include "models/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trfpipe;
  const std::string bytes(fuzz::bytes_of(data, size));
  fuzz::expect_clean([&] {
    models::SafetensorsContent c = models::parse_safetensors(bytes, "<fuzz>.safetensors");
    models::parse_safetensors(models::serialize_safetensors(c.tensors, c.metadata), "<fuzz written>");
  });
  return 0;
}
