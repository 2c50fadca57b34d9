// A byte-level BPE vocab.json and merges.txt: the input is vocab.json, a NUL, then merges.txt.
#include "fuzz/tokenizer_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trfpipe;
  auto [vocab, merges] = fuzz::split_at_nul(fuzz::bytes_of(data, size));
  fuzz::expect_clean([&] {
    fuzz::write_scratch("merges.txt", merges);
    fuzz::exercise_tokenizer(fuzz::write_scratch("vocab.json", vocab));
  });
  return 0;
}
