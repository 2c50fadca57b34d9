// What the matchers compare: a token extension's value reduced to the types spaCy's matcher
// distinguishes, and the per-call table of attribute values of the tokens being matched.
#pragma once
#include <any>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "trfpipe/doc.hpp"

namespace trfpipe::matcher {

// A token._ value: strings, integers (bools are 1/0 as in Python), floats, lists of those;
// anything else (null, objects, C++ types the matcher cannot read) is Other / Missing.
struct ExtValue {
  enum class Kind : uint8_t { Missing, Int, Float, String, List, Other };
  Kind kind = Kind::Missing;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::vector<ExtValue> items;
};

ExtValue ext_value_from_json(const nlohmann::ordered_json& v);
ExtValue ext_value_from_any(const std::any& v);
// spaCy's get_string_id for values: a string's ID, an integer itself; nullopt for others.
std::optional<uint64_t> string_id_of(const ExtValue& v);
// The key spaCy compares exact `_` values by (string IDs, integers, integral floats).
std::optional<uint64_t> exact_key(const ExtValue& v);

// The value of attribute `attr` of a token for the Matcher (spaCy's
// get_token_attr_for_matcher: SENT_START is 1 for a sentence start, else 0).
uint64_t matcher_token_attr(const Doc& doc, const TokenData& t, const Lexeme& lex, uint64_t attr);

}  // namespace trfpipe::matcher
