// The `entity_ruler` factory (spaCy's EntityRuler).
#include "components/entity_ruler/entity_ruler.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include "components/common/registration.hpp"
#include "pipeline/file_io.hpp"
#include "trfpipe/json_limits.hpp"
#include "trfpipe/error.hpp"

namespace fs = std::filesystem;

namespace trfpipe {

namespace {

using Json = nlohmann::ordered_json;
using Matches = std::vector<std::vector<Match>>;

std::vector<RulerPattern>* group(std::vector<std::pair<std::string, std::vector<RulerPattern>>>& groups,
                                 const std::string& key) {
  for (auto& kv : groups)
    if (kv.first == key) return &kv.second;
  groups.emplace_back(key, std::vector<RulerPattern>{});
  return &groups.back().second;
}

}  // namespace

EntityRuler::EntityRuler(Language& nlp, std::string name, Settings settings)
    : Pipe(std::move(name)), nlp_(&nlp), settings_(std::move(settings)) {
  set_factory_name("entity_ruler");
  clear();
}

std::string EntityRuler::key_of(const RulerPattern& p) const {
  return p.id ? p.label + settings_.ent_id_sep + *p.id : p.label;
}

std::pair<std::string, std::optional<std::string>> EntityRuler::split_key(const std::string& key) const {
  // spaCy's _split_label: rsplit on the separator.
  size_t at = settings_.ent_id_sep.empty() ? std::string::npos : key.rfind(settings_.ent_id_sep);
  if (at == std::string::npos) return {key, std::nullopt};
  return {key.substr(0, at), key.substr(at + settings_.ent_id_sep.size())};
}

void EntityRuler::clear() {
  token_patterns_.clear();
  phrase_patterns_.clear();
  ent_ids_.clear();
  matchers_ = std::make_unique<RulerMatchers>(*nlp_, this, settings_.phrase_matcher_attr.value_or(""),
                                              settings_.validate, settings_.fuzzy_compare);
}

void EntityRuler::add_to_matchers(const std::vector<RulerPattern>& patterns) {
  matchers_->add(patterns, [this](const RulerPattern& p) { return key_of(p); },
                 "entity_ruler '" + name() + "'");
}

void EntityRuler::add_patterns(const Json& patterns) {
  add_patterns(parse_ruler_patterns(patterns, "entity_ruler '" + name() + "'"));
}

void EntityRuler::add_patterns(const std::vector<RulerPattern>& patterns) {
  try {
    add_to_matchers(patterns);
  } catch (...) {
    // Leave the ruler as it was: rebuild the matchers from the patterns kept so far.
    std::vector<RulerPattern> kept;
    for (auto* groups : {&token_patterns_, &phrase_patterns_})
      for (const auto& kv : *groups) kept.insert(kept.end(), kv.second.begin(), kv.second.end());
    auto token = std::move(token_patterns_), phrase = std::move(phrase_patterns_);
    auto ids = std::move(ent_ids_);
    clear();
    add_to_matchers(kept);
    token_patterns_ = std::move(token);
    phrase_patterns_ = std::move(phrase);
    ent_ids_ = std::move(ids);
    throw;
  }
  // spaCy files token patterns before phrase patterns.
  for (bool phrases : {false, true}) {
    for (const RulerPattern& p : patterns) {
      if (p.is_phrase() != phrases) continue;
      const std::string key = key_of(p);
      group(phrases ? phrase_patterns_ : token_patterns_, key)->push_back(p);
      if (p.id) ent_ids_[string_id(key)] = {p.label, *p.id};
    }
  }
}

Json EntityRuler::patterns() const {
  Json out = Json::array();
  for (const auto* groups : {&token_patterns_, &phrase_patterns_})
    for (const auto& [key, list] : *groups) {
      auto [label, id] = split_key(key);
      for (const RulerPattern& p : list) {
        Json entry = {{"label", label}, {"pattern", p.pattern}};
        if (id) entry["id"] = *id;
        out.push_back(std::move(entry));
      }
    }
  return out;
}

std::vector<std::string> EntityRuler::labels() const {
  std::set<std::string> labels;
  for (const auto* groups : {&token_patterns_, &phrase_patterns_})
    for (const auto& kv : *groups) labels.insert(split_key(kv.first).first);
  return {labels.begin(), labels.end()};
}

std::vector<std::string> EntityRuler::ids() const {
  std::set<std::string> ids;
  for (const auto* groups : {&token_patterns_, &phrase_patterns_})
    for (const auto& kv : *groups)
      if (auto id = split_key(kv.first).second) ids.insert(*id);
  return {ids.begin(), ids.end()};
}

size_t EntityRuler::size() const {
  size_t n = 0;
  for (const auto* groups : {&token_patterns_, &phrase_patterns_})
    for (const auto& kv : *groups) n += kv.second.size();
  return n;
}

bool EntityRuler::contains(const std::string& label) const {
  for (const auto* groups : {&token_patterns_, &phrase_patterns_})
    for (const auto& kv : *groups)
      if (kv.first == label) return true;
  return false;
}

void EntityRuler::remove(const std::string& ent_id) {
  std::vector<std::string> keys;
  for (const auto& [key, label_id] : ent_ids_)
    if (label_id.second == ent_id) keys.push_back(label_id.first + settings_.ent_id_sep + label_id.second);
  if (keys.empty())
    throw ValueError("[E1024] A pattern with ID '" + ent_id + "' is not present in '" + name() +
                     "' patterns.");
  for (const std::string& key : keys) {
    for (auto* groups : {&token_patterns_, &phrase_patterns_})
      groups->erase(std::remove_if(groups->begin(), groups->end(), [&](const auto& kv) { return kv.first == key; }),
                    groups->end());
    matchers_->remove(key);
    ent_ids_.erase(string_id(key));
  }
}

std::any EntityRuler::predict(const std::vector<Doc*>& docs) {
  Matches all;
  for (Doc* doc : docs) {
    // Deduplicated, then longest first and leftmost (spaCy sorts by (end - start, -start),
    // reversed).
    std::vector<Match> matches;
    std::set<std::tuple<hash_t, size_t, size_t>> seen;
    for (Match& m : (*matchers_)(*doc))
      if (seen.insert({m.id, m.start, m.end}).second) matches.push_back(std::move(m));
    std::stable_sort(matches.begin(), matches.end(), [](const Match& a, const Match& b) {
      const size_t la = a.end - a.start, lb = b.end - b.start;
      return la != lb ? la > lb : a.start < b.start;
    });
    all.push_back(std::move(matches));
  }
  return all;
}

void EntityRuler::set_annotations(const std::vector<Doc*>& docs, const std::any& scores) {
  const Matches& all = std::any_cast<const Matches&>(scores);
  StringStore& strings = nlp_->vocab().strings();
  for (size_t d = 0; d < docs.size() && d < all.size(); ++d) {
    Doc& doc = *docs[d];
    const auto& tokens = doc.tokens();
    std::vector<Span> entities = doc.ents();
    std::vector<std::pair<Span, hash_t>> added;  // new entities and their ent_id
    std::set<size_t> seen;
    for (const Match& m : all[d]) {
      if (!settings_.overwrite_ents &&
          std::any_of(tokens.begin() + long(m.start), tokens.begin() + long(m.end),
                      [](const TokenData& t) { return t.ent_type != 0; }))
        continue;
      // spaCy checks only the boundaries (inclusive end) against the tokens taken so far.
      if (seen.count(m.start) || seen.count(m.end - 1)) continue;
      auto it = ent_ids_.find(m.id);
      if (it != ent_ids_.end())
        added.emplace_back(Span(&doc, m.start, m.end, strings.add(it->second.first)),
                           strings.add(it->second.second));
      else
        added.emplace_back(Span(&doc, m.start, m.end, m.id), 0);
      entities.erase(std::remove_if(entities.begin(), entities.end(),
                                    [&](const Span& e) { return e.start() < m.end && e.end() > m.start; }),
                     entities.end());
      for (size_t i = m.start; i < m.end; ++i) seen.insert(i);
    }
    std::vector<Span> ents = entities;
    for (const auto& [span, id] : added) ents.push_back(span);
    doc.set_ents(ents);
    for (const auto& [span, id] : added)
      if (id)
        for (size_t i = span.start(); i < span.end(); ++i) doc.tokens()[i].ent_id = id;
  }
}

void EntityRuler::initialize(const GetExamples&, Language&) { clear(); }

void EntityRuler::initialize_with_settings(const GetExamples&, Language&, const registry::Value& settings) {
  initialize_pattern_ruler(*this, name(), "entity_ruler", settings);
}

void EntityRuler::to_disk(const std::string& dir) const {
  std::vector<Json> lines;
  for (const Json& p : patterns()) lines.push_back(p);
  if (fs::path(dir).extension() == ".jsonl") {  // spaCy: a .jsonl path gets the patterns only
    if (fs::path(dir).has_parent_path()) fs::create_directories(fs::path(dir).parent_path());
    write_json_lines(dir, lines);
    return;
  }
  fs::create_directories(dir);
  Json cfg = {{"overwrite", settings_.overwrite_ents},
              {"phrase_matcher_attr", settings_.phrase_matcher_attr ? Json(*settings_.phrase_matcher_attr) : Json()},
              {"ent_id_sep", settings_.ent_id_sep}};
  write_json_lines((fs::path(dir) / "patterns.jsonl").string(), lines);
  write_json_lines((fs::path(dir) / "cfg").string(), {cfg});
}

void EntityRuler::from_disk(const std::string& path_in) {
  fs::path path(path_in);
  fs::path jsonl;
  if (path.extension() == ".jsonl") {
    if (!fs::is_regular_file(path)) throw ValueError("[E1023] Couldn't read EntityRuler from the " + path.string() + ". This file doesn't exist.");
    jsonl = path;
  } else if (fs::is_regular_file(fs::path(path_in + ".jsonl"))) {
    jsonl = path_in + ".jsonl";
  } else if (fs::is_directory(path)) {
    const fs::path cfg_path = path / "cfg";
    if (fs::exists(cfg_path)) {
      Json cfg = parse_json_limited_or_discarded<Json>(read_file_bytes(cfg_path.string()));
      if (!cfg.is_object()) throw DataError(cfg_path.string(), -1, "expected a JSON object");
      auto bad = [&](const char* key, const char* what) {
        return DataError(cfg_path.string(), -1, std::string("'") + key + "' must be " + what);
      };
      if (cfg.contains("overwrite")) {
        if (!cfg["overwrite"].is_boolean()) throw bad("overwrite", "true or false");
        settings_.overwrite_ents = cfg["overwrite"].get<bool>();
      }
      if (cfg.contains("phrase_matcher_attr")) {
        const Json& a = cfg["phrase_matcher_attr"];
        if (!a.is_null() && !a.is_string()) throw bad("phrase_matcher_attr", "a string or null");
        settings_.phrase_matcher_attr = a.is_string() ? std::optional<std::string>(a.get<std::string>()) : std::nullopt;
      }
      if (cfg.contains("ent_id_sep")) {
        if (!cfg["ent_id_sep"].is_string()) throw bad("ent_id_sep", "a string");
        settings_.ent_id_sep = cfg["ent_id_sep"].get<std::string>();
      }
    }
    jsonl = path / "patterns.jsonl";
  } else {
    throw ValueError("[E146] Could not access " + path.string() + ".");
  }
  clear();
  add_patterns(parse_ruler_patterns(read_json_lines(jsonl.string())));
}

void register_entity_ruler() {
  register_matcher_functions();
  add_placeholder_scorer("spacy.entity_ruler_scorer.v1");
  FactoryMeta m;
  m.name = "entity_ruler";
  m.default_config = Json{{"phrase_matcher_attr", nullptr},
                          {"matcher_fuzzy_compare", Json{{"@misc", "spacy.levenshtein_compare.v1"}}},
                          {"validate", false},
                          {"overwrite_ents", false},
                          {"ent_id_sep", "||"},
                          {"scorer", Json{{"@scorers", "spacy.entity_ruler_scorer.v1"}}}};
  m.assigns = {"doc.ents", "token.ent_type", "token.ent_iob"};
  m.default_score_weights = Json{{"ents_f", 1.0}, {"ents_p", 0.0}, {"ents_r", 0.0}, {"ents_per_type", nullptr}};
  m.make = [](Language& nlp, const std::string& name, const registry::Value& config) {
    check_settings(config, name, "entity_ruler",
                   {"phrase_matcher_attr", "matcher_fuzzy_compare", "validate", "overwrite_ents",
                    "ent_id_sep", "scorer"});
    EntityRuler::Settings s;
    s.phrase_matcher_attr = optional_str_setting(config, name, "phrase_matcher_attr");
    s.fuzzy_compare = object_setting<FuzzyCompare>(config, name, "matcher_fuzzy_compare",
                                                   "a fuzzy compare function such as "
                                                   "@misc = \"spacy.levenshtein_compare.v1\"");
    s.validate = bool_setting(config, name, "validate");
    s.overwrite_ents = bool_setting(config, name, "overwrite_ents");
    const registry::Value& sep = config.at("ent_id_sep");
    if (!sep.is_json() || !sep.json().is_string())
      throw ConfigError({"components", name, "ent_id_sep"}, "expected a string, got " + sep.describe());
    s.ent_id_sep = sep.json().get<std::string>();
    try {
      return std::unique_ptr<Pipe>(std::make_unique<EntityRuler>(nlp, name, std::move(s)));
    } catch (const ValueError& e) {  // an unknown phrase_matcher_attr
      throw ConfigError({"components", name, "phrase_matcher_attr"}, e.what());
    }
  };
  register_factory(std::move(m));
}

}  // namespace trfpipe
