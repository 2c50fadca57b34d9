// spaCy's `attribute_ruler` factory (spacy/pipeline/attributeruler.py, AttributeRuler): Matcher
// patterns whose matches set token attributes (TAG, POS, MORPH, LEMMA, NORM, ENT_*, `_`) on the
// token at `index` of the match; later rules win. Also reads spaCy v2 tag maps and morph rules.
// Saved as spaCy saves it: <name>/patterns, the pattern list in msgpack. No LibTorch.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "trfpipe/attrs.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/rulers.hpp"

namespace trfpipe {

class AttributeRuler : public Pipe, public AttributeRules {
 public:
  AttributeRuler(Language& nlp, std::string name, bool validate);

  // Matches per doc, ordered by rule (spaCy sorts by the rule index, then the span).
  std::any predict(const std::vector<Doc*>& docs) override;
  // ValueError (spaCy's E1001) when `index` is outside a match.
  void set_annotations(const std::vector<Doc*>& docs, const std::any& matches) override;
  void initialize(const GetExamples& get_examples, Language& nlp) override;
  // [initialize.components.<name>] patterns, tag_map, morph_rules (spaCy's initialize args).
  void initialize_with_settings(const GetExamples& get_examples, Language& nlp,
                                const registry::Value& settings) override;
  void to_disk(const std::string& dir) const override;
  void from_disk(const std::string& dir) override;

  void add(const nlohmann::ordered_json& patterns, const nlohmann::ordered_json& attrs,
           int64_t index = 0) override;
  void add_patterns(const nlohmann::ordered_json& patterns) override;
  void load_from_tag_map(const nlohmann::ordered_json& tag_map) override;
  void load_from_morph_rules(const nlohmann::ordered_json& morph_rules) override;
  nlohmann::ordered_json patterns() const override;
  void clear() override;
  size_t size() const override { return attrs_.size(); }

 private:
  void add_entries(const std::vector<nlohmann::ordered_json>& entries, const std::string& source,
                   const std::string& file, const std::vector<int64_t>& lines);

  Language* nlp_;
  bool validate_;
  std::unique_ptr<Matcher> matcher_;
  std::vector<TokenAttrValues> attrs_;
  std::vector<nlohmann::ordered_json> attrs_unnormed_;
  std::vector<int64_t> indices_;
};

void register_attribute_ruler();

}  // namespace trfpipe
