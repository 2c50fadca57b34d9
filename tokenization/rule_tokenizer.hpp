// spaCy's rule-based tokenizer (spacy/tokenizer.pyx), re-implemented on ICU regular expressions.
//
// The algorithm is spaCy 3's: the text is split on whitespace (a single ' ' after a token becomes
// its space_after flag, any other whitespace run is a token of its own), then every chunk goes
// through special cases, token_match, the prefix/suffix loop, url_match and infixes; finally
// special cases that contain affixes are matched over the token sequence and re-applied
// (spaCy's `faster_heuristics` special-case pass). Every token is a substring of the input, and the
// tokens plus their space_after flags rebuild the input exactly.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace trfpipe::tokenization {

// One token: UTF-8 byte offsets [start, end) into the tokenized text. `space_after` is true when a
// single ' ' follows the token and belongs to it (spaCy's `whitespace_`). `norm` is the NORM set by
// a special case ("n't" -> "not"), empty where none was set.
struct RuleToken {
  size_t start = 0;
  size_t end = 0;
  bool space_after = false;
  std::string norm;
};

// The tokenizer's data, in spaCy's own form: regular expressions (ICU syntax, which accepts
// spaCy's Python patterns) and special cases (orth -> [(orth, norm)]; norm "" = none).
// prefixes are joined as "^p1|^p2|...", suffixes as "s1$|s2$|...", infixes as "i1|i2|...",
// as spacy.util.compile_*_regex does. token_match / url_match "" = none; like Python's re.match
// they are anchored at the start only (spaCy's URL_MATCH ends in "$" itself).
struct TokenizerRules {
  std::vector<std::string> prefixes, suffixes, infixes;
  std::string token_match, url_match;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> special_cases;
};

class RuleTokenizer {
 public:
  // Compiles the patterns once; throws trfpipe::ValueError for a pattern ICU rejects or a special
  // case whose pieces do not concatenate to its key.
  explicit RuleTokenizer(TokenizerRules rules);
  ~RuleTokenizer();
  RuleTokenizer(RuleTokenizer&&) noexcept;
  RuleTokenizer& operator=(RuleTokenizer&&) noexcept;

  // spaCy's English defaults (spacy.lang.en: base prefixes/suffixes, English infixes,
  // URL_MATCH, English + base tokenizer exceptions with typographic-apostrophe variants).
  static TokenizerRules english_rules();
  // spaCy's BaseDefaults (blank:xx, MultiLanguage): the shared prefixes, suffixes and infixes of
  // spacy/lang/punctuation.py, URL_MATCH and BASE_EXCEPTIONS (emoticons, whitespace ...).
  static TokenizerRules base_rules();
  // spacy.lang.de: German prefixes ("``"), suffixes and infixes (hyphens kept inside words, "--"
  // split), BASE_EXCEPTIONS + German abbreviations and contractions ("z.B.", "auf'm").
  static TokenizerRules german_rules();
  static RuleTokenizer english();

  // Thread-safe (a shared chunk cache guarded by a lock). Throws trfpipe::ValueError naming the
  // byte offset when `utf8` is not valid UTF-8.
  std::vector<RuleToken> tokenize(std::string_view utf8) const;

  const TokenizerRules& rules() const;

  // {"prefixes": [...], "suffixes": [...], "infixes": [...], "token_match": "", "url_match": "",
  //  "special_cases": {orth: [[orth, norm], ...]}} -- the pipeline folder's "tokenizer" file.
  nlohmann::ordered_json to_json() const;
  // Throws trfpipe::ValueError naming the missing or mistyped key.
  static RuleTokenizer from_json(const nlohmann::ordered_json& j);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Throws trfpipe::ValueError("invalid UTF-8 at byte N: ...") unless `text` is valid UTF-8
// (no truncated or overlong sequences, lone continuation bytes, surrogates or code points past
// U+10FFFF).
void validate_utf8(std::string_view text);

// spaCy's URL_MATCH pattern (spacy/lang/tokenizer_exceptions.py URL_PATTERN) in ICU syntax.
std::string english_url_pattern();

}  // namespace trfpipe::tokenization
