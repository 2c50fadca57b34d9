// What spaCy's rule-based components share (spacy/pipeline/entityruler.py, span_ruler.py,
// attributeruler.py): their pattern entries, the matchers behind them, the span filters of the
// `misc` registry, and the interfaces code holding such a pipe uses:
//
//   auto& ruler = dynamic_cast<trfpipe::PatternRuler&>(nlp.add_pipe("entity_ruler"));
//   ruler.add_patterns(Json::parse(R"([{"label": "ORG", "pattern": "Apple"},
//                                      {"label": "GPE", "pattern": [{"LOWER": "san"}, {"LOWER": "francisco"}]}])"));
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "trfpipe/json_lines.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/matcher.hpp"
#include "trfpipe/registry.hpp"

namespace trfpipe {

// One pattern of an entity_ruler or span_ruler: {"label": "ORG", "pattern": "Apple" (a phrase)
// or [{"LOWER": "apple"}] (token specs), "id": "apple" (optional)}, and where it came from.
struct RulerPattern {
  std::string label;
  nlohmann::ordered_json pattern;
  std::optional<std::string> id;
  std::string file;   // the JSONL file it was read from, "" when given inline
  int64_t line = -1;  // its line in that file
  size_t index = 0;   // its position in the list it came with
  bool is_phrase() const { return pattern.is_string(); }
  nlohmann::ordered_json to_json() const;  // {"label", "pattern"[, "id"]}, as spaCy saves it
};

// A list of pattern entries (JSON list) or the lines of a JSONL file. Anything that is not such
// an entry is a ValueError naming `source`, the pattern's index and the key (spaCy's E097 for a
// pattern that is neither a phrase nor token specs); from a file, a DataError naming the file and
// line. Keys other than label/pattern/id are ignored, as spaCy ignores them.
std::vector<RulerPattern> parse_ruler_patterns(const nlohmann::ordered_json& list,
                                               const std::string& source);
std::vector<RulerPattern> parse_ruler_patterns(const JsonLines& lines);
// The `patterns` value of an [initialize.components.<name>] block: a list written in the
// config, or what `srsly.read_jsonl.v1` read. ConfigError naming `path` for anything else.
std::vector<RulerPattern> ruler_patterns_from(const registry::Value& value,
                                              const std::vector<std::string>& path);

// A Matcher error message without its "Matcher rule '<key>', " prefix, for rulers, whose rule
// keys are internal ("pattern 0, token 1, key 'OP': [E011] ...").
std::string without_matcher_rule(const std::string& msg);

// The matchers of a ruler: token patterns in a Matcher, phrase patterns in a PhraseMatcher, each
// under a rule key the ruler chooses. Phrases are made into Docs by the pipeline's components
// before `owner` (spaCy runs nlp.pipe with the ruler and the pipes after it disabled; when only
// the tokenizer decides the attribute, only the tokenizer runs).
class RulerMatchers {
 public:
  RulerMatchers(Language& nlp, const Pipe* owner, const std::string& phrase_matcher_attr,
                bool validate, FuzzyCompare fuzzy_compare);
  // Adds every pattern under key_of(pattern), token patterns first. Errors name `source`, the
  // pattern index and the key (with validate, a MatchPatternError keyed by the pattern label);
  // from a file a DataError naming its line. Patterns before a bad one stay added.
  void add(const std::vector<RulerPattern>& patterns,
           const std::function<std::string(const RulerPattern&)>& key_of, const std::string& source);
  // Matcher matches, then PhraseMatcher matches; empty ones dropped.
  std::vector<Match> operator()(Doc& doc);
  void remove(const std::string& key);  // from whichever matcher has it; absent keys are ignored
  bool contains(const std::string& key) const;
  Matcher& matcher() { return matcher_; }
  PhraseMatcher& phrase_matcher() { return phrase_matcher_; }

 private:
  Language* nlp_;
  const Pipe* owner_;
  Matcher matcher_;
  PhraseMatcher phrase_matcher_;
};

// spaCy's span filters (registry `misc`): given the spans already there and new ones, the spans
// to keep.
using SpansFilter =
    std::function<std::vector<Span>(const std::vector<Span>& existing, const std::vector<Span>& added)>;
// spacy.first_longest_spans_filter.v1: util.filter_spans over both lists.
std::vector<Span> filter_chain_spans(const std::vector<Span>& existing, const std::vector<Span>& added);
// spacy.prioritize_new_ents_filter.v1: new spans (longest first) replace the entities they overlap.
std::vector<Span> prioritize_new_ents_filter(const std::vector<Span>& entities, const std::vector<Span>& spans);
// spacy.prioritize_existing_ents_filter.v1: existing entities win over overlapping new spans.
std::vector<Span> prioritize_existing_ents_filter(const std::vector<Span>& entities, const std::vector<Span>& spans);

// The pattern API of entity_ruler, future_entity_ruler and span_ruler.
class PatternRuler {
 public:
  virtual ~PatternRuler() = default;
  // A JSON list of {"label", "pattern", "id"} entries (see parse_ruler_patterns).
  virtual void add_patterns(const nlohmann::ordered_json& patterns) = 0;
  virtual void add_patterns(const std::vector<RulerPattern>& patterns) = 0;
  virtual nlohmann::ordered_json patterns() const = 0;  // as added (spaCy's ruler.patterns)
  virtual std::vector<std::string> labels() const = 0;  // sorted
  virtual std::vector<std::string> ids() const = 0;     // sorted (entity_ruler: ent_ids)
  virtual void clear() = 0;
  virtual size_t size() const = 0;                      // spaCy's len(ruler)
  virtual bool contains(const std::string& label) const = 0;
  // entity_ruler: remove(ent_id) (spaCy's EntityRuler.remove); span_ruler: remove(label).
  // ValueError (spaCy's E1024) when nothing matches.
  virtual void remove(const std::string& key) = 0;
  virtual void remove_by_id(const std::string& id) = 0;
};

// The API of attribute_ruler (spaCy's AttributeRuler).
class AttributeRules {
 public:
  virtual ~AttributeRules() = default;
  // Matcher patterns (a JSON list of token-spec lists) whose match sets `attrs` (see
  // normalize_token_attrs) on the token at `index` of the match (negative: from the end).
  virtual void add(const nlohmann::ordered_json& patterns, const nlohmann::ordered_json& attrs,
                   int64_t index = 0) = 0;
  // A list of {"patterns": [...], "attrs": {...}, "index": 0}.
  virtual void add_patterns(const nlohmann::ordered_json& patterns) = 0;
  // spaCy v2 tag maps {"NNS": {"POS": "NOUN", "Number": "plur"}} and morph rules
  // {"PRP": {"I": {"LEMMA": "I", "PronType": "Prs"}}}.
  virtual void load_from_tag_map(const nlohmann::ordered_json& tag_map) = 0;
  virtual void load_from_morph_rules(const nlohmann::ordered_json& morph_rules) = 0;
  virtual nlohmann::ordered_json patterns() const = 0;
  virtual void clear() = 0;
  virtual size_t size() const = 0;  // the number of add() calls
};

// Runs `f`; an Error from it that names no place of its own (anything but a DataError,
// ConfigError or MatchPatternError) becomes a ConfigError at `path`.
void with_config_path(const std::vector<std::string>& path, const std::function<void()>& f);
// A pattern ruler's [initialize.components.<name>] block (spaCy's initialize(patterns=...)):
// clears the ruler, then adds `patterns` (a list or what srsly.read_jsonl.v1 read). Any other
// setting is a ConfigError naming it.
void initialize_pattern_ruler(PatternRuler& ruler, const std::string& name, const std::string& factory,
                              const registry::Value& settings);

// Registers spacy.levenshtein_compare.v1 and the span filters in `misc`. Idempotent.
void register_matcher_functions();

}  // namespace trfpipe
