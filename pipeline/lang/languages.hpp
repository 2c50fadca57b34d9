// The registered languages' tokenizer rules (include/trfpipe/languages.hpp), for Language.
#pragma once
#include <memory>
#include <string>
#include <unordered_set>

#include "tokenization/rule_tokenizer.hpp"

namespace trfpipe {

// The rules of language `code`; ValueError (E048, listing the known languages) when unknown.
tokenization::TokenizerRules language_tokenizer_rules(const std::string& code);

// The stop words of language `code` (lowercase forms); nullptr for English's (en, xx, languages
// registered without stop words) and unknown codes.
std::shared_ptr<const std::unordered_set<std::string>> language_stop_words(const std::string& code);

}  // namespace trfpipe
