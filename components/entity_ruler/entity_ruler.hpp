// spaCy 3.8's `entity_ruler` factory (spacy/pipeline/entityruler.py, EntityRuler): doc.ents from
// token and phrase patterns. Matches are taken longest first (then leftmost); a match touching a
// token that already has an entity type is skipped unless overwrite_ents; a kept match replaces
// the entities it overlaps. Patterns with an "id" set token.ent_id. Saved as spaCy does:
// <name>/patterns.jsonl and <name>/cfg ({"overwrite", "phrase_matcher_attr", "ent_id_sep"}).
// No LibTorch.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "trfpipe/language.hpp"
#include "trfpipe/rulers.hpp"

namespace trfpipe {

class EntityRuler : public Pipe, public PatternRuler {
 public:
  struct Settings {
    std::optional<std::string> phrase_matcher_attr;  // null: ORTH
    FuzzyCompare fuzzy_compare = levenshtein_compare;
    bool validate = false;
    bool overwrite_ents = false;
    std::string ent_id_sep = "||";
  };
  EntityRuler(Language& nlp, std::string name, Settings settings);

  // Matches per doc (longest first), then doc.ents.
  std::any predict(const std::vector<Doc*>& docs) override;
  void set_annotations(const std::vector<Doc*>& docs, const std::any& matches) override;
  // spaCy's initialize(get_examples, nlp, patterns=None): clears, then adds `patterns`.
  void initialize(const GetExamples& get_examples, Language& nlp) override;
  void initialize_with_settings(const GetExamples& get_examples, Language& nlp,
                                const registry::Value& settings) override;
  // A pipeline folder (cfg + patterns.jsonl), or only the patterns when `dir` ends in .jsonl.
  void to_disk(const std::string& dir) const override;
  // A pipeline folder (cfg + patterns.jsonl) or a .jsonl file of patterns; DataError naming
  // the file and line for a bad pattern, spaCy's E146 when neither exists.
  void from_disk(const std::string& dir) override;

  void add_patterns(const nlohmann::ordered_json& patterns) override;
  void add_patterns(const std::vector<RulerPattern>& patterns) override;
  nlohmann::ordered_json patterns() const override;
  std::vector<std::string> labels() const override;
  std::vector<std::string> ids() const override;  // spaCy's ent_ids
  void clear() override;
  size_t size() const override;
  bool contains(const std::string& label) const override;  // a label without id, or "LABEL||id"
  void remove(const std::string& ent_id) override;
  void remove_by_id(const std::string& ent_id) override { remove(ent_id); }
  const Settings& settings() const { return settings_; }

 private:
  std::string key_of(const RulerPattern& p) const;
  std::pair<std::string, std::optional<std::string>> split_key(const std::string& key) const;
  void add_to_matchers(const std::vector<RulerPattern>& patterns);

  Language* nlp_;
  Settings settings_;
  std::unique_ptr<RulerMatchers> matchers_;
  // Patterns by rule key ("LABEL" or "LABEL||id") in insertion order, token patterns and phrases
  // apart (spaCy's token_patterns / phrase_patterns dicts).
  std::vector<std::pair<std::string, std::vector<RulerPattern>>> token_patterns_, phrase_patterns_;
  std::map<hash_t, std::pair<std::string, std::string>> ent_ids_;  // key ID -> (label, id)
};

void register_entity_ruler();

}  // namespace trfpipe
