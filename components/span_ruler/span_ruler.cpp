// The `span_ruler` and `future_entity_ruler` factories (spaCy's SpanRuler).
#include "components/span_ruler/span_ruler.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include "components/common/registration.hpp"
#include "trfpipe/error.hpp"

namespace fs = std::filesystem;

namespace trfpipe {

namespace {

using Json = nlohmann::ordered_json;
using AllFound = std::vector<std::vector<SpanRuler::Found>>;

// The rule key of a pattern: spaCy's repr((label, id)).
std::string rule_key(const RulerPattern& p) {
  return "('" + p.label + "', '" + p.id.value_or("") + "')";
}

using SpanKey = std::tuple<size_t, size_t, hash_t>;
SpanKey span_key(const Span& s) { return {s.start(), s.end(), s.label()}; }

}  // namespace

SpanRuler::SpanRuler(Language& nlp, std::string name, Settings settings)
    : Pipe(std::move(name)), nlp_(&nlp), settings_(std::move(settings)) {
  set_factory_name("span_ruler");
  clear();
}

void SpanRuler::clear() {
  patterns_.clear();
  matchers_ = std::make_unique<RulerMatchers>(*nlp_, this, settings_.phrase_matcher_attr.value_or(""),
                                              settings_.validate, settings_.fuzzy_compare);
}

void SpanRuler::add_patterns(const Json& patterns) {
  add_patterns(parse_ruler_patterns(patterns, "span_ruler '" + name() + "'"));
}

void SpanRuler::add_patterns(const std::vector<RulerPattern>& patterns) {
  for (const RulerPattern& p : patterns) label_id_[string_id(rule_key(p))] = {p.label, p.id.value_or("")};
  try {
    matchers_->add(patterns, rule_key, "span_ruler '" + name() + "'");
  } catch (...) {
    // Leave the ruler as it was: rebuild the matchers from the patterns kept so far.
    std::vector<RulerPattern> kept = std::move(patterns_);
    clear();
    matchers_->add(kept, rule_key, "span_ruler '" + name() + "'");
    patterns_ = std::move(kept);
    throw;
  }
  patterns_.insert(patterns_.end(), patterns.begin(), patterns.end());
}

Json SpanRuler::patterns() const {
  Json out = Json::array();
  for (const RulerPattern& p : patterns_) out.push_back(p.to_json());
  return out;
}

std::vector<std::string> SpanRuler::labels() const {
  std::set<std::string> labels;
  for (const RulerPattern& p : patterns_) labels.insert(p.label);
  return {labels.begin(), labels.end()};
}

std::vector<std::string> SpanRuler::ids() const {
  std::set<std::string> ids;
  for (const RulerPattern& p : patterns_)
    if (p.id) ids.insert(*p.id);
  return {ids.begin(), ids.end()};
}

bool SpanRuler::contains(const std::string& label) const {
  for (const auto& [key, label_id] : label_id_)
    if (label_id.first == label) return true;
  return false;
}

void SpanRuler::remove_keys(const std::function<bool(const std::pair<std::string, std::string>&)>& which) {
  for (const auto& [key, label_id] : label_id_)
    if (which(label_id)) {
      RulerPattern p;
      p.label = label_id.first;
      if (!label_id.second.empty()) p.id = label_id.second;
      matchers_->remove(rule_key(p));
    }
}

void SpanRuler::remove(const std::string& label) {
  if (!contains(label))
    throw ValueError("[E1024] A pattern with label '" + label + "' is not present in '" + name() +
                     "' patterns.");
  patterns_.erase(std::remove_if(patterns_.begin(), patterns_.end(),
                                 [&](const RulerPattern& p) { return p.label == label; }),
                  patterns_.end());
  remove_keys([&](const auto& label_id) { return label_id.first == label; });
  for (auto it = label_id_.begin(); it != label_id_.end();)
    it = it->second.first == label ? label_id_.erase(it) : std::next(it);
}

void SpanRuler::remove_by_id(const std::string& id) {
  const size_t before = patterns_.size();
  patterns_.erase(std::remove_if(patterns_.begin(), patterns_.end(),
                                 [&](const RulerPattern& p) { return p.id && *p.id == id; }),
                  patterns_.end());
  if (patterns_.size() == before)
    throw ValueError("[E1024] A pattern with ID '" + id + "' is not present in '" + name() +
                     "' patterns.");
  remove_keys([&](const auto& label_id) { return label_id.second == id; });
  for (auto it = label_id_.begin(); it != label_id_.end();)
    it = it->second.second == id ? label_id_.erase(it) : std::next(it);
}

std::vector<SpanRuler::Found> SpanRuler::match(Doc& doc) {
  StringStore& strings = nlp_->vocab().strings();
  std::vector<Found> found;
  std::set<std::tuple<size_t, size_t, hash_t, hash_t>> seen;
  for (const Match& m : (*matchers_)(doc)) {
    auto it = label_id_.find(m.id);
    if (it == label_id_.end()) continue;
    const hash_t label = strings.add(it->second.first);
    const hash_t id = it->second.second.empty() ? 0 : strings.add(it->second.second);
    if (seen.insert({m.start, m.end, label, id}).second) found.push_back({Span(&doc, m.start, m.end, label), id});
  }
  // spaCy sorts Spans by (start_char, end_char, label, kb_id, id).
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    return std::make_tuple(a.span.start(), a.span.end(), a.span.label(), a.id) <
           std::make_tuple(b.span.start(), b.span.end(), b.span.label(), b.id);
  });
  return found;
}

std::any SpanRuler::predict(const std::vector<Doc*>& docs) {
  AllFound all;
  for (Doc* doc : docs) all.push_back(match(*doc));
  return all;
}

void SpanRuler::set_annotations(const std::vector<Doc*>& docs, const std::any& scores) {
  const AllFound& all = std::any_cast<const AllFound&>(scores);
  for (size_t d = 0; d < docs.size() && d < all.size(); ++d) {
    Doc& doc = *docs[d];
    std::vector<Span> matches;
    std::map<SpanKey, hash_t> ids;
    for (const Found& f : all[d]) {
      matches.push_back(f.span);
      if (f.id) ids[span_key(f.span)] = f.id;
    }
    if (settings_.spans_key) {
      const std::string& key = *settings_.spans_key;
      SpanGroup group;
      group.name = key;
      std::vector<Span> existing;
      if (doc.spans().contains(key) && !settings_.overwrite) {
        group = doc.spans().group(key);
        for (const SpanGroupEntry& e : group.spans) {
          existing.emplace_back(&doc, e.start, e.end, e.label);
          if (e.id) ids.emplace(SpanKey{e.start, e.end, e.label}, e.id);
        }
      }
      // As spaCy: the group is extended by what the filter returns (the filter sees both).
      const std::vector<Span> added = settings_.spans_filter ? settings_.spans_filter(existing, matches) : matches;
      for (const Span& s : added) {
        auto it = ids.find(span_key(s));
        group.spans.push_back({s.start(), s.end(), s.label(), 0, it == ids.end() ? 0 : it->second});
      }
      doc.spans().set_group(key, std::move(group));
    }
    if (settings_.annotate_ents) {
      std::vector<Span> spans = settings_.overwrite ? std::vector<Span>{} : doc.ents();
      spans = settings_.ents_filter(spans, matches);
      std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
        return std::make_tuple(a.start(), a.end(), a.label()) < std::make_tuple(b.start(), b.end(), b.label());
      });
      try {
        doc.set_ents(spans);
      } catch (const ValueError&) {
        throw ValueError("[E854] Unable to set doc.ents. Check that the 'ents_filter' does not "
                         "permit overlapping spans.");
      }
      for (const Span& s : spans) {
        auto it = ids.find(span_key(s));
        if (it != ids.end())
          for (size_t i = s.start(); i < s.end(); ++i) doc.tokens()[i].ent_id = it->second;
      }
    }
  }
}

void SpanRuler::initialize(const GetExamples&, Language&) { clear(); }

void SpanRuler::initialize_with_settings(const GetExamples&, Language&, const registry::Value& settings) {
  initialize_pattern_ruler(*this, name(), factory_name(), settings);
}

void SpanRuler::to_disk(const std::string& dir) const {
  fs::create_directories(dir);
  std::vector<Json> lines;
  for (const RulerPattern& p : patterns_) lines.push_back(p.to_json());
  write_json_lines((fs::path(dir) / "patterns").string(), lines);
}

void SpanRuler::from_disk(const std::string& dir) {
  clear();
  add_patterns(parse_ruler_patterns(read_json_lines((fs::path(dir) / "patterns").string())));
}

namespace {

// The settings both factories share.
void read_common(SpanRuler::Settings& s, const registry::Value& config, const std::string& name) {
  s.phrase_matcher_attr = optional_str_setting(config, name, "phrase_matcher_attr");
  s.fuzzy_compare = object_setting<FuzzyCompare>(config, name, "matcher_fuzzy_compare",
                                                 "a fuzzy compare function such as "
                                                 "@misc = \"spacy.levenshtein_compare.v1\"");
  s.validate = bool_setting(config, name, "validate");
}

std::unique_ptr<Pipe> make_ruler(Language& nlp, const std::string& name, SpanRuler::Settings s) {
  try {
    return std::make_unique<SpanRuler>(nlp, name, std::move(s));
  } catch (const ValueError& e) {  // an unknown phrase_matcher_attr
    throw ConfigError({"components", name, "phrase_matcher_attr"}, e.what());
  }
}

void register_spans_scorer_placeholder() {
  // spacy.overlapping_labeled_spans_scorer.v1 takes spans_key; the training area registers the
  // real scorer under the same name.
  registry::Registry& scorers = registry::get("scorers");
  if (scorers.has("spacy.overlapping_labeled_spans_scorer.v1")) return;
  registry::Function f;
  f.name = "spacy.overlapping_labeled_spans_scorer.v1";
  f.args = {registry::arg("spans_key", "str", "ruler")};
  f.returns = "Callable";
  f.make = [](const registry::Value&, const std::vector<std::string>&) -> std::any {
    return std::string("spacy.overlapping_labeled_spans_scorer.v1");
  };
  scorers.add(std::move(f));
}

}  // namespace

void register_span_ruler() {
  register_matcher_functions();
  register_spans_scorer_placeholder();
  add_placeholder_scorer("spacy.entity_ruler_scorer.v1");
  const Json fuzzy = {{"@misc", "spacy.levenshtein_compare.v1"}};

  FactoryMeta span;
  span.name = "span_ruler";
  span.default_config = Json{{"spans_key", "ruler"},
                             {"spans_filter", nullptr},
                             {"annotate_ents", false},
                             {"ents_filter", Json{{"@misc", "spacy.first_longest_spans_filter.v1"}}},
                             {"phrase_matcher_attr", nullptr},
                             {"matcher_fuzzy_compare", fuzzy},
                             {"validate", false},
                             {"overwrite", true},
                             {"scorer", Json{{"@scorers", "spacy.overlapping_labeled_spans_scorer.v1"},
                                             {"spans_key", "ruler"}}}};
  span.assigns = {"doc.spans"};
  span.default_score_weights =
      Json{{"spans_ruler_f", 1.0}, {"spans_ruler_p", 0.0}, {"spans_ruler_r", 0.0}, {"spans_ruler_per_type", nullptr}};
  span.make = [](Language& nlp, const std::string& name, const registry::Value& config) {
    check_settings(config, name, "span_ruler",
                   {"spans_key", "spans_filter", "annotate_ents", "ents_filter", "phrase_matcher_attr",
                    "matcher_fuzzy_compare", "validate", "overwrite", "scorer"});
    SpanRuler::Settings s;
    s.spans_key = optional_str_setting(config, name, "spans_key");
    if (!config.at("spans_filter").is_null())
      s.spans_filter = object_setting<SpansFilter>(config, name, "spans_filter",
                                                   "null or a filter such as @misc = \"spacy.first_longest_spans_filter.v1\"");
    s.annotate_ents = bool_setting(config, name, "annotate_ents");
    s.ents_filter = object_setting<SpansFilter>(config, name, "ents_filter",
                                                "a filter such as @misc = \"spacy.first_longest_spans_filter.v1\"");
    read_common(s, config, name);
    s.overwrite = bool_setting(config, name, "overwrite");
    return make_ruler(nlp, name, std::move(s));
  };
  register_factory(std::move(span));

  FactoryMeta future;
  future.name = "future_entity_ruler";
  future.default_config = Json{{"phrase_matcher_attr", nullptr},
                               {"validate", false},
                               {"overwrite_ents", false},
                               {"scorer", Json{{"@scorers", "spacy.entity_ruler_scorer.v1"}}},
                               {"ent_id_sep", "__unused__"},
                               {"matcher_fuzzy_compare", fuzzy}};
  future.assigns = {"doc.ents"};
  future.default_score_weights = Json{{"ents_f", 1.0}, {"ents_p", 0.0}, {"ents_r", 0.0}, {"ents_per_type", nullptr}};
  future.make = [](Language& nlp, const std::string& name, const registry::Value& config) {
    check_settings(config, name, "future_entity_ruler",
                   {"phrase_matcher_attr", "validate", "overwrite_ents", "scorer", "ent_id_sep",
                    "matcher_fuzzy_compare"});
    SpanRuler::Settings s;
    s.spans_key = std::nullopt;
    s.annotate_ents = true;
    s.ents_filter = bool_setting(config, name, "overwrite_ents") ? SpansFilter(prioritize_new_ents_filter)
                                                                 : SpansFilter(prioritize_existing_ents_filter);
    s.overwrite = false;
    read_common(s, config, name);
    return make_ruler(nlp, name, std::move(s));
  };
  register_factory(std::move(future));
}

}  // namespace trfpipe
