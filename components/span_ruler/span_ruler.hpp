// spaCy 3.8's `span_ruler` and `future_entity_ruler` factories (spacy/pipeline/span_ruler.py,
// SpanRuler): spans from token and phrase patterns into doc.spans[spans_key] (through an
// optional spans_filter) and/or doc.ents (through ents_filter). future_entity_ruler is spaCy's
// entity ruler built on the SpanRuler (spans_key null, annotate_ents, the prioritize filters).
// Saved as spaCy does: <name>/patterns (JSONL). No LibTorch.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "trfpipe/language.hpp"
#include "trfpipe/rulers.hpp"

namespace trfpipe {

class SpanRuler : public Pipe, public PatternRuler {
 public:
  struct Settings {
    std::optional<std::string> spans_key = std::string("ruler");  // null: no doc.spans
    SpansFilter spans_filter;                                      // empty: keep every match
    bool annotate_ents = false;
    SpansFilter ents_filter = filter_chain_spans;
    std::optional<std::string> phrase_matcher_attr;
    FuzzyCompare fuzzy_compare = levenshtein_compare;
    bool validate = false;
    bool overwrite = true;
  };
  // One match: the span (labelled) and its pattern's id (0 when none).
  struct Found {
    Span span;
    hash_t id;
  };

  SpanRuler(Language& nlp, std::string name, Settings settings);

  std::any predict(const std::vector<Doc*>& docs) override;
  void set_annotations(const std::vector<Doc*>& docs, const std::any& matches) override;
  // spaCy's match(doc): the deduplicated matches in Span order (start, end, label, id).
  std::vector<Found> match(Doc& doc);
  void initialize(const GetExamples& get_examples, Language& nlp) override;
  void initialize_with_settings(const GetExamples& get_examples, Language& nlp,
                                const registry::Value& settings) override;
  void to_disk(const std::string& dir) const override;
  void from_disk(const std::string& dir) override;

  void add_patterns(const nlohmann::ordered_json& patterns) override;
  void add_patterns(const std::vector<RulerPattern>& patterns) override;
  nlohmann::ordered_json patterns() const override;
  std::vector<std::string> labels() const override;
  std::vector<std::string> ids() const override;
  void clear() override;
  size_t size() const override { return patterns_.size(); }
  bool contains(const std::string& label) const override;
  void remove(const std::string& label) override;
  void remove_by_id(const std::string& id) override;
  const Settings& settings() const { return settings_; }

 private:
  void remove_keys(const std::function<bool(const std::pair<std::string, std::string>&)>& which);
  Language* nlp_;
  Settings settings_;
  std::unique_ptr<RulerMatchers> matchers_;
  std::vector<RulerPattern> patterns_;
  std::map<hash_t, std::pair<std::string, std::string>> label_id_;  // rule key ID -> (label, id)
};

void register_span_ruler();

}  // namespace trfpipe
