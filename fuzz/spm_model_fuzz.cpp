// A SentencePiece ModelProto through the native path: the protobuf reader that turns it into a
// Unigram tokenizer.json, then that tokenizer. (The libsentencepiece shim is loaded with
// RTLD_DEEPBIND, which ASan cannot run; it is not fuzzed here.)
#include "fuzz/tokenizer_common.hpp"
#include "tokenization/unigram.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trfpipe;
  fuzz::expect_clean([&] {
    const std::string json = subword::sentencepiece_model_to_tokenizer_json(fuzz::bytes_of(data, size));
    fuzz::exercise_tokenizer(fuzz::write_scratch("tokenizer.json", json));
  });
  return 0;
}
