#include "pipeline/lang/languages.hpp"

#include <map>
#include <mutex>

#include "tokenization/lang_de.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/languages.hpp"

namespace trfpipe {

namespace {

struct LanguageTable {
  std::mutex mutex;
  std::map<std::string, tokenization::TokenizerRules> rules;
  std::map<std::string, std::shared_ptr<const std::unordered_set<std::string>>> stop_words;
};

std::shared_ptr<const std::unordered_set<std::string>> word_set(const std::vector<std::string>& words) {
  return std::make_shared<const std::unordered_set<std::string>>(words.begin(), words.end());
}

LanguageTable& table() {
  static LanguageTable* t = [] {
    auto* fresh = new LanguageTable;  // never destroyed: plugins may register at exit order
    fresh->rules["en"] = tokenization::RuleTokenizer::english_rules();
    fresh->rules["xx"] = tokenization::RuleTokenizer::base_rules();
    fresh->rules["de"] = tokenization::RuleTokenizer::german_rules();
    fresh->stop_words["de"] = word_set(tokenization::german_stop_words());
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
  if (d.stop_words) table().stop_words[d.code] = word_set(*d.stop_words);
  else table().stop_words.erase(d.code);
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

std::shared_ptr<const std::unordered_set<std::string>> language_stop_words(const std::string& code) {
  std::lock_guard<std::mutex> lock(table().mutex);
  auto it = table().stop_words.find(code);
  return it == table().stop_words.end() ? nullptr : it->second;
}

}  // namespace trfpipe
