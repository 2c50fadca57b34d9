// A Hugging Face tokenizer.json (WordPiece, byte-level BPE or the native Unigram pipeline with
// its normalizers: Precompiled charsmaps, Replace patterns, ...).
#include "fuzz/tokenizer_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trfpipe;
  fuzz::expect_clean([&] { fuzz::exercise_tokenizer(fuzz::write_scratch("tokenizer.json", fuzz::bytes_of(data, size))); });
  return 0;
}
