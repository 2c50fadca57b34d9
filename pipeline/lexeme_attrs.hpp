// Computes a word form's Lexeme (orth, lower, norm, shape, prefix, suffix, flags) and adds its
// strings to the store. Blank English: norm = lower (no norm exceptions table).
#pragma once
#include <string>
#include <string_view>

#include "trfpipe/strings.hpp"
#include "trfpipe/vocab.hpp"

namespace trfpipe::pipeline {

// The stop words are those of language `lang` (pipeline/lang/languages.hpp).
Lexeme make_lexeme(std::string_view orth, StringStore& strings, const std::string& lang);

}  // namespace trfpipe::pipeline
