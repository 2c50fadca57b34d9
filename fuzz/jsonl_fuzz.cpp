// JSONL corpora ({"text", "cats", "spans"} per line, read_jsonl) and spaCy's v2 JSON training
// format (parse_json_v2). The text is tokenized on spaces, enough to build docs.
#include "fuzz/fuzz_common.hpp"
#include "trfpipe/data.hpp"
#include "trfpipe/doc.hpp"
#include "trfpipe/vocab.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trfpipe;
  const std::string_view text = fuzz::bytes_of(data, size);
  auto vocab = std::make_shared<Vocab>("en");
  MakeDoc make_doc = [vocab](std::string_view t) {
    std::vector<std::string> words;
    std::vector<bool> spaces;
    size_t i = 0;
    while (i < t.size()) {
      size_t j = t.find(' ', i);
      if (j == std::string_view::npos) j = t.size();
      if (j > i) {
        words.emplace_back(t.substr(i, j - i));
        spaces.push_back(j < t.size());
      }
      i = j + 1;
    }
    return Doc(vocab, words, spaces);
  };
  fuzz::expect_clean([&] {
    for (Doc& d : read_jsonl(fuzz::write_scratch("input.jsonl", text), make_doc, "text")) d.to_json().dump();
  });
  fuzz::expect_clean([&] {
    for (Doc& d : parse_json_v2(text, "<fuzz>.json", vocab)) d.to_json().dump();
  });
  return 0;
}
