// JSON from files trfpipe does not control (config.json, tokenizer.json, JSONL corpora, pipeline
// folders), parsed with a nesting limit. nlohmann's parser is iterative, but copying, comparing and
// dump() recurse once per level: a file of 100,000 '[' would parse and then overflow the stack far
// from the reader. Header-only so that every area (tokenization depends on nothing) can use it.
#pragma once
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace trfpipe {

// Deeper than Hugging Face tokenizers (serde_json stops at 128) and Python's json reads in practice.
inline constexpr int kMaxJsonDepth = 512;

// Throws nlohmann::json::parse_error (what callers already catch) when `text` nests arrays and
// objects deeper than `max_depth`. A linear scan; strings are skipped, so brackets inside them do
// not count. Text that is not valid JSON may pass; the parser rejects it afterwards.
inline void check_json_depth(std::string_view text, int max_depth = kMaxJsonDepth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        throw nlohmann::json::parse_error::create(
            101, i + 1, "JSON nested deeper than " + std::to_string(max_depth) + " levels", nullptr);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

// J::parse(text) after check_json_depth; J is nlohmann::json or nlohmann::ordered_json. A number
// too large for a double ("1e999") makes nlohmann throw out_of_range (406), not parse_error:
// turned into a parse_error here, so that callers catching parse errors see every bad input (the
// serve fuzz target found a body "7777e777" answered with 500 instead of 400).
template <class J = nlohmann::ordered_json>
J parse_json_limited(std::string_view text, int max_depth = kMaxJsonDepth) {
  check_json_depth(text, max_depth);
  try {
    return J::parse(text.begin(), text.end());
  } catch (const nlohmann::json::out_of_range& e) {
    throw nlohmann::json::parse_error::create(101, 0, e.what(), nullptr);
  }
}

// J::parse(text, nullptr, false) after check_json_depth: a discarded value for text that is not
// JSON or nests deeper than `max_depth` (for callers that report "invalid JSON" themselves).
template <class J = nlohmann::ordered_json>
J parse_json_limited_or_discarded(std::string_view text, int max_depth = kMaxJsonDepth) {
  try {
    check_json_depth(text, max_depth);
  } catch (const nlohmann::json::parse_error&) {
    return J(J::value_t::discarded);
  }
  return J::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
}

// A JSON value for an error message: dump() cut to `max_chars` (a message must not carry a
// megabyte of input back to the user).
template <class J>
std::string json_excerpt(const J& value, size_t max_chars = 200) {
  std::string s = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (s.size() > max_chars) s = s.substr(0, max_chars) + "...";
  return s;
}

}  // namespace trfpipe
