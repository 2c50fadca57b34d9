// spaCy's lexical attributes (spacy/lang/lex_attrs.py with the English overrides of
// spacy/lang/en/lex_attrs.py and en/stop_words.py) on UTF-8 strings. Code-point aware, with
// Python's str semantics (str.isalpha, str.istitle, str.lower ...) as spaCy uses them.
// Every function throws trfpipe::ValueError on invalid UTF-8.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>

namespace trfpipe::tokenization::lex {

std::string lower(std::string_view text);   // str.lower(): full Unicode lowercasing
std::string shape(std::string_view text);   // word_shape: "Xxxxx", "dd", "LONG" for >= 100 chars
std::string prefix(std::string_view text);  // first code point ("" for "")
std::string suffix(std::string_view text);  // last three code points

bool is_alpha(std::string_view text);  // all letters (L*), non-empty
bool is_ascii(std::string_view text);
bool is_digit(std::string_view text);  // Numeric_Type Decimal/Digit, non-empty
bool is_lower(std::string_view text);
bool is_upper(std::string_view text);
bool is_title(std::string_view text);
bool is_punct(std::string_view text);  // every code point in a P* category
bool is_space(std::string_view text);  // str.isspace()
bool is_bracket(std::string_view text);
bool is_quote(std::string_view text);
bool is_left_punct(std::string_view text);
bool is_right_punct(std::string_view text);
bool is_currency(std::string_view text);  // every code point in category Sc
bool like_url(std::string_view text);
bool like_num(std::string_view text);  // English: digits, "1,000", "3/4", "ten", "10th" ...
bool like_email(std::string_view text);
bool is_stop(std::string_view text);  // English stop words, on the lowercased text

// Python's str.isspace() for one code point (what spaCy's tokenizer splits on).
bool is_space_char(char32_t c);

// All attributes of one string at once.
struct LexAttrs {
  std::string lower, shape, prefix, suffix;
  bool is_alpha, is_ascii, is_digit, is_lower, is_upper, is_title, is_punct, is_space, is_bracket,
      is_quote, is_left_punct, is_right_punct, is_currency, like_url, like_num, like_email,
      is_stop;
};
// `stop_words` (lowercase forms) of the language; nullptr: English's.
LexAttrs lex_attrs(std::string_view text,
                   const std::unordered_set<std::string>* stop_words = nullptr);

}  // namespace trfpipe::tokenization::lex
