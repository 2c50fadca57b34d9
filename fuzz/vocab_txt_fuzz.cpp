// A WordPiece vocab.txt (one token per line).
#include "fuzz/tokenizer_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trfpipe;
  fuzz::expect_clean([&] { fuzz::exercise_tokenizer(fuzz::write_scratch("vocab.txt", fuzz::bytes_of(data, size))); });
  return 0;
}
