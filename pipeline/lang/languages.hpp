// The registered languages' tokenizer rules (include/trfpipe/languages.hpp), for Language.
#pragma once
#include <string>

#include "tokenization/rule_tokenizer.hpp"

namespace trfpipe {

// The rules of language `code`; ValueError (E048, listing the known languages) when unknown.
tokenization::TokenizerRules language_tokenizer_rules(const std::string& code);

}  // namespace trfpipe
