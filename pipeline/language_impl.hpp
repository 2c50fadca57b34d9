// Language's private state, shared by language.cpp and serialize.cpp.
#pragma once
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "tokenization/rule_tokenizer.hpp"
#include "trfpipe/language.hpp"

namespace trfpipe {

inline constexpr const char* kRuleTokenizerName = "spacy.Tokenizer.v1";
inline constexpr const char* kCharPretokenizerName = "spacy-experimental.char_pretokenizer.v1";

struct Language::Impl {
  static constexpr size_t npos = std::numeric_limits<size_t>::max();
  struct Entry {
    std::unique_ptr<Pipe> pipe;
    Json block;  // the component's config block: {"factory": ..., filled settings}
    bool enabled = true;
    bool sourced = false;  // built from a `source = ...` block
  };
  std::string lang;
  std::shared_ptr<Vocab> vocab;
  std::unique_ptr<tokenization::RuleTokenizer> tokenizer;
  // [nlp] tokenizer = spacy-experimental.char_pretokenizer.v1: one token per character, no
  // spaces (the rule tokenizer is kept for the pipeline folder's "tokenizer" file).
  bool char_tokenizer = false;
  std::vector<Entry> pipes;
  Json base_config = Json::object();  // sections other than [nlp]/[components], kept as given
  Json meta = Json::object();

  size_t index_of(const std::string& name) const;
  size_t checked_index(const std::string& name) const;  // ValueError E001 when absent
  std::vector<std::string> names() const;
  size_t insert_position(const AddPipeOptions& where) const;
  // A component made by `factory` from `config` (defaults filled, resolved) with its block.
  static Entry make_entry(Language& nlp, const std::string& factory, const std::string& name,
                          const Json& config);
};

namespace pipeline {
// confection's deep_merge_configs(config, defaults): given values win; a default block is merged
// into a given block only when both name the same registered function (or the given one none).
Json deep_merge_configs(Json config, const Json& defaults);
// "a, b, c" (for error messages listing names).
std::string join_names(const std::vector<std::string>& names);
// spaCy's load_vectors_into_model for [initialize] vectors = "path": the vectors table (with its
// name) and the strings of the pipeline folder at `path` go into `vocab`. ConfigError naming
// initialize -> vectors (spaCy's E884) when the folder has no vectors.
void load_vectors_into_vocab(Vocab& vocab, const std::string& path);
}  // namespace pipeline

}  // namespace trfpipe
