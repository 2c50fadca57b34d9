// spaCy's German language data (spacy/lang/de): tokenizer exceptions and stop words. The
// punctuation rules are built by RuleTokenizer::german_rules() from the shared character classes.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace trfpipe::tokenization {

// spacy/lang/de/tokenizer_exceptions.py `_exc` (without BASE_EXCEPTIONS): orth -> [(piece, norm)].
std::map<std::string, std::vector<std::pair<std::string, std::string>>> german_exceptions();

// spacy/lang/de/stop_words.py STOP_WORDS (lowercase).
std::vector<std::string> german_stop_words();

}  // namespace trfpipe::tokenization
