// DocBin (.spacy): the input is the msgpack message; the harness compresses it as a .spacy file
// holds it (fuzzing the deflate stream itself would mostly test zlib). A first byte of 'x' passes
// the rest through as the raw file instead, so the zlib checks are reached too.
#include "formats/data_util.hpp"
#include "fuzz/fuzz_common.hpp"
#include "trfpipe/data.hpp"
#include "trfpipe/doc.hpp"
#include "trfpipe/vocab.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trfpipe;
  std::string_view in = fuzz::bytes_of(data, size);
  const std::string file = !in.empty() && in[0] == 'x' ? std::string(in.substr(1)) : formats::zlib_compress(in);
  fuzz::expect_clean([&] {
    DocBin db;
    db.from_bytes(file, "<fuzz>.spacy");
    auto vocab = std::make_shared<Vocab>("en");
    std::vector<Doc> docs = db.get_docs(vocab);
    DocBin again;
    for (const Doc& d : docs) {
      d.to_json().dump();
      again.add(d);
    }
    DocBin back;
    back.from_bytes(again.to_bytes(), "<fuzz written>.spacy");
    back.get_docs(vocab);
  });
  return 0;
}
