// The shared parts of spaCy's rulers: pattern entries, phrase tokenization with the pipeline
// before the ruler, the Matcher/PhraseMatcher pair, the span filters and their registration.
#include "trfpipe/rulers.hpp"

#include <algorithm>
#include <mutex>
#include <set>

#include "matcher/schema.hpp"
#include "trfpipe/attrs.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe {

namespace {

using Json = nlohmann::ordered_json;

std::string shown(const Json& v) {
  std::string s = v.dump();
  return s.size() > 120 ? s.substr(0, 117) + "..." : s;
}

// Why `entry` is not a ruler pattern ("" when it is one).
std::string entry_problem(const Json& entry) {
  if (!entry.is_object())
    return "a pattern must be a dict {\"label\": ..., \"pattern\": ...}, got " + shown(entry);
  if (!entry.contains("label")) return "key 'label' is missing";
  if (!entry["label"].is_string() || entry["label"].get<std::string>().empty())
    return "key 'label' must be a non-empty string, got " + shown(entry["label"]);
  if (!entry.contains("pattern")) return "key 'pattern' is missing";
  const Json& p = entry["pattern"];
  if (!p.is_string() && !p.is_array())
    return "key 'pattern': [E097] Invalid pattern: expected token pattern (list of dicts) or "
           "phrase pattern (string) but got:\n" + shown(p);
  if (p.is_string() && p.get<std::string>().empty()) return "key 'pattern': the phrase is empty";
  if (entry.contains("id") && !entry["id"].is_null() && !entry["id"].is_string())
    return "key 'id' must be a string, got " + shown(entry["id"]);
  return "";
}

RulerPattern make_pattern(const Json& entry, size_t index) {
  RulerPattern p;
  p.label = entry["label"].get<std::string>();
  p.pattern = entry["pattern"];
  if (entry.contains("id") && entry["id"].is_string()) p.id = entry["id"].get<std::string>();
  p.index = index;
  return p;
}

// Attributes the tokenizer alone decides: phrases need no pipeline components for them.
bool lexical_attr(uint64_t attr) {
  return attr < 64 || attr == attrs::ORTH || attr == attrs::LOWER || attr == attrs::NORM ||
         attr == attrs::SHAPE || attr == attrs::PREFIX || attr == attrs::SUFFIX ||
         attr == attrs::LENGTH || attr == attrs::SPACY;
}

}  // namespace

std::string without_matcher_rule(const std::string& msg) {
  if (msg.rfind("Matcher rule '", 0) != 0) return msg;
  const size_t at = msg.find("', ");
  return at == std::string::npos ? msg : msg.substr(at + 3);
}

Json RulerPattern::to_json() const {
  Json out = {{"label", label}, {"pattern", pattern}};
  if (id) out["id"] = *id;
  return out;
}

std::vector<RulerPattern> parse_ruler_patterns(const Json& list, const std::string& source) {
  if (!list.is_array())
    throw ValueError(source + ": expected a list of patterns, got " + shown(list));
  std::vector<RulerPattern> out;
  for (size_t i = 0; i < list.size(); ++i) {
    std::string problem = entry_problem(list[i]);
    if (!problem.empty()) throw ValueError(source + ", pattern " + std::to_string(i) + ": " + problem);
    out.push_back(make_pattern(list[i], i));
  }
  return out;
}

std::vector<RulerPattern> parse_ruler_patterns(const JsonLines& lines) {
  std::vector<RulerPattern> out;
  for (size_t i = 0; i < lines.values.size(); ++i) {
    std::string problem = entry_problem(lines.values[i]);
    if (!problem.empty()) throw DataError(lines.path, lines.lines[i], "pattern " + std::to_string(i) + ": " + problem);
    RulerPattern p = make_pattern(lines.values[i], i);
    p.file = lines.path;
    p.line = lines.lines[i];
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<RulerPattern> ruler_patterns_from(const registry::Value& value,
                                              const std::vector<std::string>& path) {
  if (value.is_object()) {
    if (const auto* lines = std::any_cast<JsonLines>(&value.object())) return parse_ruler_patterns(*lines);
    if (const auto* json = std::any_cast<Json>(&value.object()))
      return parse_ruler_patterns(*json, ConfigError::format_path(path));
    throw ConfigError(path, "expected a list of patterns or a reader such as "
                            "@readers = \"srsly.read_jsonl.v1\", got " + value.describe());
  }
  try {
    return parse_ruler_patterns(value.json(), ConfigError::format_path(path));
  } catch (const ValueError& e) {
    throw ConfigError(path, e.what());
  }
}

// ----------------------------------------------------------------------- RulerMatchers

RulerMatchers::RulerMatchers(Language& nlp, const Pipe* owner, const std::string& phrase_matcher_attr,
                             bool validate, FuzzyCompare fuzzy_compare)
    : nlp_(&nlp),
      owner_(owner),
      matcher_(nlp.vocab_ptr(), validate, std::move(fuzzy_compare)),
      phrase_matcher_(nlp.vocab_ptr(), phrase_matcher_attr.empty() ? "ORTH" : phrase_matcher_attr, validate) {}

void RulerMatchers::add(const std::vector<RulerPattern>& patterns,
                        const std::function<std::string(const RulerPattern&)>& key_of,
                        const std::string& source) {
  auto fail = [&](const RulerPattern& p, const std::string& msg) {
    const std::string what = "pattern " + std::to_string(p.index) + " (label '" + p.label + "'): " + msg;
    if (!p.file.empty()) throw DataError(p.file, p.line, what);
    throw ValueError(source + ", " + what);
  };
  for (const RulerPattern& p : patterns) {
    if (p.is_phrase()) continue;
    try {
      matcher_.add(key_of(p), Json::array({p.pattern}));
    } catch (const MatchPatternError& e) {
      if (!p.file.empty()) {
        std::string lines;
        for (const auto& [i, errs] : e.errors())
          for (const auto& err : errs) lines += "\n- " + err;
        fail(p, "invalid token pattern" + lines);
      }
      std::map<size_t, std::vector<std::string>> errors;
      for (const auto& [i, errs] : e.errors()) errors[p.index] = errs;
      throw MatchPatternError(p.label, std::move(errors));
    } catch (const Error& e) {
      // One pattern per Matcher.add: its "pattern 0" says nothing.
      std::string msg = without_matcher_rule(e.what());
      if (msg.rfind("pattern 0, ", 0) == 0) msg = msg.substr(11);
      fail(p, msg);
    }
  }
  std::vector<const RulerPattern*> phrases;
  std::vector<std::string> texts;
  for (const RulerPattern& p : patterns)
    if (p.is_phrase()) {
      phrases.push_back(&p);
      texts.push_back(p.pattern.get<std::string>());
    }
  if (texts.empty()) return;
  std::vector<Doc> docs;
  // spaCy: nlp.pipe(texts) with this ruler and the pipes after it disabled.
  const std::vector<Pipe*> pipeline = nlp_->pipeline();
  auto at = std::find(pipeline.begin(), pipeline.end(), owner_);
  if (lexical_attr(phrase_matcher_.attr()) || at == pipeline.end() || at == pipeline.begin()) {
    for (const std::string& t : texts) docs.push_back(nlp_->make_doc(t));
  } else {
    std::vector<std::string> disable;
    for (auto it = at; it != pipeline.end(); ++it) disable.push_back((*it)->name());
    DisabledPipes disabled = nlp_->select_pipes(disable);
    docs = nlp_->pipe(texts);
  }
  for (size_t k = 0; k < phrases.size(); ++k) {
    try {
      phrase_matcher_.add(key_of(*phrases[k]), std::vector<const Doc*>{&docs[k]});
    } catch (const Error& e) {
      fail(*phrases[k], e.what());
    }
  }
}

std::vector<Match> RulerMatchers::operator()(Doc& doc) {
  std::vector<Match> out;
  if (matcher_.size() > 0)
    for (Match& m : matcher_(doc)) out.push_back(std::move(m));
  if (phrase_matcher_.size() > 0)
    for (Match& m : phrase_matcher_(doc)) out.push_back(std::move(m));
  out.erase(std::remove_if(out.begin(), out.end(), [](const Match& m) { return m.start == m.end; }),
            out.end());
  return out;
}

void RulerMatchers::remove(const std::string& key) {
  if (phrase_matcher_.contains(key)) phrase_matcher_.remove(key);
  if (matcher_.contains(key)) matcher_.remove(key);
}

bool RulerMatchers::contains(const std::string& key) const {
  return matcher_.contains(key) || phrase_matcher_.contains(key);
}

// ------------------------------------------------------------------------------ filters

std::vector<Span> filter_chain_spans(const std::vector<Span>& existing, const std::vector<Span>& added) {
  std::vector<Span> all = existing;
  all.insert(all.end(), added.begin(), added.end());
  return filter_spans(all);
}

namespace {

// The spans longest first (the earlier of equally long ones), as spaCy's sort key
// (end - start, -start) with reverse=True.
std::vector<Span> longest_first(const std::vector<Span>& spans) {
  std::vector<Span> sorted = spans;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Span& a, const Span& b) {
    return a.size() != b.size() ? a.size() > b.size() : a.start() < b.start();
  });
  return sorted;
}

std::vector<Span> prioritize(const std::vector<Span>& entities_in, const std::vector<Span>& spans,
                             bool new_wins) {
  std::vector<Span> entities = entities_in, added;
  std::set<size_t> seen;
  if (!new_wins)
    for (const Span& e : entities)
      for (size_t i = e.start(); i < e.end(); ++i) seen.insert(i);
  for (const Span& s : longest_first(spans)) {
    bool free = true;
    for (size_t i = s.start(); i < s.end() && free; ++i) free = !seen.count(i);
    if (!free) continue;
    added.push_back(s);
    if (new_wins)
      entities.erase(std::remove_if(entities.begin(), entities.end(),
                                    [&](const Span& e) { return e.start() < s.end() && e.end() > s.start(); }),
                     entities.end());
    for (size_t i = s.start(); i < s.end(); ++i) seen.insert(i);
  }
  entities.insert(entities.end(), added.begin(), added.end());
  return entities;
}

}  // namespace

std::vector<Span> prioritize_new_ents_filter(const std::vector<Span>& entities, const std::vector<Span>& spans) {
  return prioritize(entities, spans, true);
}

std::vector<Span> prioritize_existing_ents_filter(const std::vector<Span>& entities,
                                                  const std::vector<Span>& spans) {
  return prioritize(entities, spans, false);
}

void with_config_path(const std::vector<std::string>& path, const std::function<void()>& f) {
  try {
    f();
  } catch (const DataError&) {
    throw;  // names the file and line
  } catch (const ConfigError&) {
    throw;
  } catch (const MatchPatternError&) {
    throw;
  } catch (const Error& e) {
    throw ConfigError(path, e.what());
  }
}

void initialize_pattern_ruler(PatternRuler& ruler, const std::string& name, const std::string& factory,
                              const registry::Value& settings) {
  const std::vector<std::string> base{"initialize", "components", name};
  for (const auto& [key, value] : settings.items())
    if (key != "patterns") {
      auto path = base;
      path.push_back(key);
      throw ConfigError(path, "unexpected setting of the " + factory + " (it takes `patterns`)");
    }
  ruler.clear();
  if (!settings.has("patterns") || settings.at("patterns").is_null()) return;
  auto path = base;
  path.push_back("patterns");
  std::vector<RulerPattern> patterns = ruler_patterns_from(settings.at("patterns"), path);
  with_config_path(path, [&] { ruler.add_patterns(patterns); });
}

void register_matcher_functions() {
  static std::once_flag once;
  std::call_once(once, [] {
    registry::Registry& misc = registry::get("misc");
    auto add = [&](const std::string& name, std::any value, const std::string& returns) {
      registry::Function f;
      f.name = name;
      f.returns = returns;
      f.make = [value](const registry::Value&, const std::vector<std::string>&) { return value; };
      misc.add(std::move(f));
    };
    add("spacy.levenshtein_compare.v1", FuzzyCompare(levenshtein_compare),
        "Callable[[str, str, int], bool]");
    add("spacy.first_longest_spans_filter.v1", SpansFilter(filter_chain_spans),
        "Callable[[Iterable[Span], Iterable[Span]], List[Span]]");
    add("spacy.prioritize_new_ents_filter.v1", SpansFilter(prioritize_new_ents_filter),
        "Callable[[Iterable[Span], Iterable[Span]], List[Span]]");
    add("spacy.prioritize_existing_ents_filter.v1", SpansFilter(prioritize_existing_ents_filter),
        "Callable[[Iterable[Span], Iterable[Span]], List[Span]]");
  });
}

}  // namespace trfpipe
