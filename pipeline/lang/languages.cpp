#include "pipeline/lang/languages.hpp"

#include <map>
#include <mutex>

#include "trfpipe/error.hpp"
#include "trfpipe/languages.hpp"

namespace trfpipe {

namespace {

struct LanguageTable {
  std::mutex mutex;
  std::map<std::string, tokenization::TokenizerRules> rules;
};

LanguageTable& table() {
  static LanguageTable* t = [] {
    auto* fresh = new LanguageTable;  // never destroyed: plugins may register at exit order
    fresh->rules["en"] = tokenization::RuleTokenizer::english_rules();
    fresh->rules["xx"] = tokenization::RuleTokenizer::base_rules();
    return fresh;
  }();
  return *t;
}

std::string known_list() {
  std::string out;
  for (const auto& code : language_codes()) out += (out.empty() ? "" : ", ") + code;
  return out;
}

}  // namespace

void register_language(LanguageDefaults d) {
  if (d.code.empty()) throw ValueError("register_language: the language code is empty");
  tokenization::TokenizerRules rules = tokenization::RuleTokenizer::base_rules();
  if (d.prefixes) rules.prefixes = *d.prefixes;
  if (d.suffixes) rules.suffixes = *d.suffixes;
  if (d.infixes) rules.infixes = *d.infixes;
  if (d.url_match) rules.url_match = *d.url_match;
  if (!d.base_exceptions) rules.special_cases.clear();
  for (auto& [orth, pieces] : d.tokenizer_exceptions) rules.special_cases[orth] = pieces;
  // Compiling checks the patterns and special cases now (ValueError naming the bad one).
  try {
    tokenization::RuleTokenizer check(rules);
  } catch (const Error& e) {
    throw ValueError("language '" + d.code + "': " + e.what());
  }
  std::lock_guard<std::mutex> lock(table().mutex);
  table().rules[d.code] = std::move(rules);
}

bool has_language(const std::string& code) {
  std::lock_guard<std::mutex> lock(table().mutex);
  return table().rules.count(code) > 0;
}

std::vector<std::string> language_codes() {
  std::lock_guard<std::mutex> lock(table().mutex);
  std::vector<std::string> out;
  for (const auto& entry : table().rules) out.push_back(entry.first);
  return out;
}

void require_language(const std::string& code) {
  if (!has_language(code))
    throw ValueError("[E048] Can't find language '" + code + "': known languages are " +
                     known_list() +
                     " (a plugin loaded with --code can register more: docs/plugins.md)");
}

tokenization::TokenizerRules language_tokenizer_rules(const std::string& code) {
  require_language(code);
  std::lock_guard<std::mutex> lock(table().mutex);
  return table().rules.at(code);
}

}  // namespace trfpipe
