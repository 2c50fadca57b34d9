// The request bodies `trfpipe serve` accepts, read and checked apart from the HTTP layer so that
// they can be fuzzed without a server (fuzz/serve_request_fuzz.cpp). Torch-free.
#pragma once
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "trfpipe/doc.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::cli {

// The top-level keys of Doc.to_json() a client may ask for ("text" always comes).
extern const std::set<std::string> kParseAttributes;

// What a POST /parse asks for: {"texts": [...], "attributes": [...], "include_trf": false}.
struct ParseRequest {
  std::vector<std::string> texts;
  std::optional<std::set<std::string>> attributes;
  bool include_trf = false;
};

// The body as JSON, nesting limited (copying and dumping recurse once per level); ValueError when
// it is not valid JSON or UTF-8.
Json parse_request_json(std::string_view body);
// ValueError naming the bad field.
ParseRequest read_parse_request(const Json& body);
// POST /render's {"text": "..."}; ValueError when the body is not that.
std::string read_render_request(const Json& body);

// Doc.to_json() cut to the attributes asked for, with the transformer's outputs when asked.
Json doc_json(const Doc& doc, const ParseRequest& r);

}  // namespace trfpipe::cli
