// A byte-level BPE vocab.json and merges.txt: the input is vocab.json, a NUL, then merges.txt.
#include "fuzz/tokenizer_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trfpipe;
  // Not a structured binding: lambdas cannot capture those before C++20.
  const auto parts = fuzz::split_at_nul(fuzz::bytes_of(data, size));
  const std::string_view vocab = parts.first, merges = parts.second;
  fuzz::expect_clean([&] {
    fuzz::write_scratch("merges.txt", merges);
    fuzz::exercise_tokenizer(fuzz::write_scratch("vocab.json", vocab));
  });
  return 0;
}
