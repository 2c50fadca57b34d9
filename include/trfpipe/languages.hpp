// The languages `Language(lang)`, `blank:<lang>` and `[nlp] lang` accept, as spaCy's language
// classes (spacy/lang/<code>): built in are "en" (English), "de" (German: its punctuation rules,
// exceptions and stop words) and "xx" (spaCy's MultiLanguage: the shared punctuation rules and
// base exceptions, what multilingual transformer pipelines use).
// A plugin registers another from its entry point (docs/plugins.md, "Languages"):
//
//   extern "C" void trfpipe_register_plugin() {
//     trfpipe::LanguageDefaults gsw;
//     gsw.code = "gsw";
//     gsw.tokenizer_exceptions = {{"z.B.", {{"z.B.", "zum Beispiel"}}}};
//     trfpipe::register_language(std::move(gsw));
//   }
#pragma once
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace trfpipe {

// spaCy's Language.Defaults for the tokenizer. Regular expressions are ICU syntax (which accepts
// spaCy's Python patterns); an unset list keeps the shared rules of spacy/lang/punctuation.py.
struct LanguageDefaults {
  std::string code;  // "de"
  std::optional<std::vector<std::string>> prefixes, suffixes, infixes;
  // Special cases, orth -> [(piece, norm)] (norm "" = none), added to spaCy's BASE_EXCEPTIONS
  // (update_exc) unless base_exceptions is false. The pieces must concatenate to the orth.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> tokenizer_exceptions;
  bool base_exceptions = true;
  std::optional<std::string> url_match;  // unset: spaCy's URL_MATCH; "" = none
  std::optional<std::vector<std::string>> stop_words;  // lowercase; unset: English's
};

// Adds (or replaces) a language. ValueError for an empty code or a rule ICU rejects, checked now
// rather than when a pipeline of that language is first made.
void register_language(LanguageDefaults defaults);
bool has_language(const std::string& code);
std::vector<std::string> language_codes();  // sorted
// ValueError (spaCy's E048) naming `code` and listing the known languages unless has_language.
void require_language(const std::string& code);

}  // namespace trfpipe
