// The request bodies of `trfpipe serve` (POST /parse and /render): parsed and read as the server
// does, then the texts tokenized by a blank English pipeline and answered with doc_json.
#include <memory>

#include "cli/serve_request.hpp"
#include "fuzz/fuzz_common.hpp"
#include "trfpipe/language.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trfpipe;
  static const std::unique_ptr<Language> nlp = Language::blank("en");
  const std::string_view body = fuzz::bytes_of(data, size);
  fuzz::expect_clean([&] {
    const cli::ParseRequest r = cli::read_parse_request(cli::parse_request_json(body));
    for (const std::string& text : r.texts) cli::doc_json(nlp->make_doc(text), r).dump();
  });
  fuzz::expect_clean([&] {
    nlp->make_doc(cli::read_render_request(cli::parse_request_json(body))).to_json().dump();
  });
  return 0;
}
