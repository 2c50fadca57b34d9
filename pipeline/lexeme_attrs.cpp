// Lexeme computation from the tokenization area's lexical attributes (spaCy's lex_attrs with the
// English overrides). Blank English has no norm exceptions table, so norm = lower; token-level
// norms from tokenizer exceptions live in TokenData::norm.
#include "pipeline/lexeme_attrs.hpp"

#include "pipeline/lang/languages.hpp"
#include "tokenization/lex_attrs.hpp"

namespace trfpipe::pipeline {

Lexeme make_lexeme(std::string_view orth, StringStore& strings, const std::string& lang) {
  namespace lex = tokenization::lex;
  const auto stop_words = language_stop_words(lang);
  const lex::LexAttrs a = lex::lex_attrs(orth, stop_words.get());
  Lexeme out;
  out.orth = strings.add(orth);
  out.lower = strings.add(a.lower);
  out.norm = out.lower;
  out.shape = strings.add(a.shape);
  out.prefix = strings.add(a.prefix);
  out.suffix = strings.add(a.suffix);
  const std::pair<bool, LexFlag> flags[] = {
      {a.is_alpha, IS_ALPHA},           {a.is_ascii, IS_ASCII},     {a.is_digit, IS_DIGIT},
      {a.is_lower, IS_LOWER},           {a.is_punct, IS_PUNCT},     {a.is_space, IS_SPACE},
      {a.is_title, IS_TITLE},           {a.is_upper, IS_UPPER},     {a.like_url, LIKE_URL},
      {a.like_num, LIKE_NUM},           {a.like_email, LIKE_EMAIL}, {a.is_stop, IS_STOP},
      {a.is_bracket, IS_BRACKET},       {a.is_quote, IS_QUOTE},     {a.is_left_punct, IS_LEFT_PUNCT},
      {a.is_right_punct, IS_RIGHT_PUNCT}, {a.is_currency, IS_CURRENCY}};
  for (const auto& [on, flag] : flags)
    if (on) out.flags |= flag;
  return out;
}

}  // namespace trfpipe::pipeline
