// CoNLL/NER columns and sentence-per-line IOB, and convert's format detection (the linear scan
// that replaced std::regex) on the same bytes as a .iob file.
#include "fuzz/fuzz_common.hpp"
#include "trfpipe/data.hpp"
#include "trfpipe/doc.hpp"
#include "trfpipe/vocab.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trfpipe;
  const std::string_view text = fuzz::bytes_of(data, size);
  auto check = [](std::vector<Doc> docs) {
    for (Doc& d : docs) {
      d.to_json().dump();
      d.ents();
    }
  };
  fuzz::expect_clean([&] { check(parse_conll_ner(text, "<fuzz>.conll", std::make_shared<Vocab>("en"), 2)); });
  fuzz::expect_clean([&] { check(parse_iob(text, "<fuzz>.iob", std::make_shared<Vocab>("en"), 2)); });
  fuzz::expect_clean([&] {
    const std::string path = fuzz::write_scratch("input.iob", text);
    ConvertOptions options;
    check(convert_file(path, options, std::make_shared<Vocab>("en"), nullptr));
  });
  return 0;
}
