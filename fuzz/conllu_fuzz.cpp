// CoNLL-U (`trfpipe convert`'s conllu converter), with and without --morphology, and the docs'
// JSON as `apply` would print it.
#include "fuzz/fuzz_common.hpp"
#include "trfpipe/data.hpp"
#include "trfpipe/doc.hpp"
#include "trfpipe/vocab.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trfpipe;
  const std::string_view text = fuzz::bytes_of(data, size);
  for (bool morphology : {false, true}) {
    fuzz::expect_clean([&] {
      auto vocab = std::make_shared<Vocab>("en");
      for (Doc& d : parse_conllu(text, "<fuzz>.conllu", vocab, 3, morphology)) {
        d.to_json().dump();
        d.ents();
        if (d.has_sents()) d.sents();
      }
    });
  }
  return 0;
}
