// The `attribute_ruler` factory (spaCy's AttributeRuler).
#include "components/attribute_ruler/attribute_ruler.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "components/common/registration.hpp"
#include "pipeline/file_io.hpp"
#include "trfpipe/json_limits.hpp"
#include "trfpipe/error.hpp"

namespace fs = std::filesystem;

namespace trfpipe {

namespace {

using Json = nlohmann::ordered_json;
using Matches = std::vector<std::vector<Match>>;

// spaCy's _split_morph_attrs: "_" and spaCy's attribute names (POS, LEMMA, MORPH ... exactly as
// in attrs.IDS) are token attributes, every other key a morphological feature.
std::pair<Json, Json> split_morph_attrs(const Json& attrs) {
  Json other = Json::object(), morph = Json::object();
  for (auto it = attrs.begin(); it != attrs.end(); ++it) {
    const std::string& k = it.key();
    std::string up = k;
    for (char& c : up) c = char(std::toupper(static_cast<unsigned char>(c)));
    const bool attribute = k.empty() || k == "_" || (k == up && attr_id(k).has_value());
    (attribute ? other : morph)[k] = it.value();
  }
  return {other, morph};
}

// Morphology.add(dict): "Field=Value" features joined with "|" (normalized when set).
std::string feats_of(const Json& morph, const std::string& where) {
  std::string out;
  for (auto it = morph.begin(); it != morph.end(); ++it) {
    const Json& v = it.value();
    std::string value;
    if (v.is_string()) value = v.get<std::string>();
    else if (v.is_number_integer() || v.is_boolean()) value = v.dump();
    else throw ValueError(where + ": the value of feature '" + it.key() + "' must be a string, got " + v.dump());
    out += (out.empty() ? "" : "|") + it.key() + "=" + value;
  }
  return out;
}

}  // namespace

AttributeRuler::AttributeRuler(Language& nlp, std::string name, bool validate)
    : Pipe(std::move(name)), nlp_(&nlp), validate_(validate) {
  set_factory_name("attribute_ruler");
  clear();
}

void AttributeRuler::clear() {
  matcher_ = std::make_unique<Matcher>(nlp_->vocab_ptr(), validate_);
  attrs_.clear();
  attrs_unnormed_.clear();
  indices_.clear();
}

void AttributeRuler::add(const Json& patterns, const Json& attrs, int64_t index) {
  // The rule key is its position, so matches sort by rule (later rules win).
  const std::string key = std::to_string(attrs_.size());
  TokenAttrValues values = normalize_token_attrs(nlp_->vocab(), attrs);
  matcher_->add(key, patterns);
  attrs_.push_back(std::move(values));
  attrs_unnormed_.push_back(attrs);
  indices_.push_back(index);
}

void AttributeRuler::add_entries(const std::vector<Json>& entries, const std::string& source,
                                 const std::string& file, const std::vector<int64_t>& lines) {
  for (size_t i = 0; i < entries.size(); ++i) {
    const Json& p = entries[i];
    const std::string where = "pattern dict " + std::to_string(i);
    auto fail = [&](const std::string& msg) {
      if (!file.empty()) throw DataError(file, lines[i], where + ": " + msg);
      throw ValueError(source + ", " + where + ": " + msg);
    };
    if (!p.is_object()) fail("expected {\"patterns\": [...], \"attrs\": {...}, \"index\": 0}, got " + p.dump());
    for (auto it = p.begin(); it != p.end(); ++it)
      if (it.key() != "patterns" && it.key() != "attrs" && it.key() != "index")
        fail("unexpected key '" + it.key() + "' (expected patterns, attrs, index)");
    if (!p.contains("patterns")) fail("key 'patterns' is missing");
    if (!p.contains("attrs")) fail("key 'attrs' is missing");
    int64_t index = 0;
    if (p.contains("index")) {
      if (!p["index"].is_number_integer()) fail("key 'index' must be an integer, got " + p["index"].dump());
      index = p["index"].get<int64_t>();
    }
    try {
      add(p["patterns"], p["attrs"], index);
    } catch (const MatchPatternError&) {
      if (file.empty()) throw;
      fail("invalid token patterns");
    } catch (const Error& e) {
      fail(without_matcher_rule(e.what()));
    }
  }
}

void AttributeRuler::add_patterns(const Json& patterns) {
  if (!patterns.is_array())
    throw ValueError("attribute_ruler '" + name() + "': expected a list of patterns, got " + patterns.dump());
  add_entries(std::vector<Json>(patterns.begin(), patterns.end()), "attribute_ruler '" + name() + "'", "", {});
}

void AttributeRuler::load_from_tag_map(const Json& tag_map) {
  if (!tag_map.is_object()) throw ValueError("attribute_ruler: a tag map is a dict {tag: {attr: value}}");
  for (auto it = tag_map.begin(); it != tag_map.end(); ++it) {
    const std::string where = "tag map, tag '" + it.key() + "'";
    if (!it.value().is_object()) throw ValueError(where + ": expected a dict of attributes");
    auto [attrs, morph] = split_morph_attrs(it.value());
    if (!attrs.contains("MORPH")) attrs["MORPH"] = feats_of(morph, where);
    add(Json::array({Json::array({{{"TAG", it.key()}}})}), attrs);
  }
}

void AttributeRuler::load_from_morph_rules(const Json& morph_rules) {
  if (!morph_rules.is_object())
    throw ValueError("attribute_ruler: morph rules are a dict {tag: {word: {attr: value}}}");
  for (auto tag = morph_rules.begin(); tag != morph_rules.end(); ++tag) {
    if (!tag.value().is_object()) throw ValueError("morph rules, tag '" + tag.key() + "': expected a dict of words");
    for (auto word = tag.value().begin(); word != tag.value().end(); ++word) {
      const std::string where = "morph rules, tag '" + tag.key() + "', word '" + word.key() + "'";
      if (!word.value().is_object()) throw ValueError(where + ": expected a dict of attributes");
      auto [attrs, morph] = split_morph_attrs(word.value());
      if (!attrs.contains("MORPH") && !morph.empty()) attrs["MORPH"] = feats_of(morph, where);
      add(Json::array({Json::array({{{"ORTH", word.key()}, {"TAG", tag.key()}}})}), attrs);
    }
  }
}

Json AttributeRuler::patterns() const {
  Json out = Json::array();
  for (size_t i = 0; i < attrs_.size(); ++i)
    out.push_back({{"patterns", *matcher_->get(std::to_string(i))},
                   {"attrs", attrs_unnormed_[i]},
                   {"index", indices_[i]}});
  return out;
}

std::any AttributeRuler::predict(const std::vector<Doc*>& docs) {
  Matches all;
  MatchOptions options;
  options.allow_missing = true;
  const StringStore& strings = nlp_->vocab().strings();
  for (Doc* doc : docs) {
    std::vector<Match> matches = matcher_->size() ? (*matcher_)(*doc, options) : std::vector<Match>{};
    std::vector<std::pair<size_t, Match>> keyed;
    for (Match& m : matches) keyed.emplace_back(std::stoul(strings[m.id]), std::move(m));
    std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
      return std::make_tuple(a.first, a.second.start, a.second.end) <
             std::make_tuple(b.first, b.second.start, b.second.end);
    });
    std::vector<Match> sorted;
    for (auto& kv : keyed) sorted.push_back(std::move(kv.second));
    all.push_back(std::move(sorted));
  }
  return all;
}

void AttributeRuler::set_annotations(const std::vector<Doc*>& docs, const std::any& scores) {
  const Matches& all = std::any_cast<const Matches&>(scores);
  const StringStore& strings = nlp_->vocab().strings();
  for (size_t d = 0; d < docs.size() && d < all.size(); ++d) {
    Doc& doc = *docs[d];
    for (const Match& m : all[d]) {
      const size_t rule = std::stoul(strings[m.id]);
      const int64_t index = indices_[rule];
      const int64_t len = int64_t(m.end - m.start);
      const int64_t at = index < 0 ? len + index : index;
      if (at < 0 || at >= len) {
        std::string words;
        for (size_t i = m.start; i < m.end; ++i)
          words += (words.empty() ? "'" : ", '") + std::string(doc.token(i).text()) + "'";
        throw ValueError("[E1001] Target token outside of matched span for match with tokens '[" + words +
                         "]' and offset '" + std::to_string(index) + "' matched by patterns '" +
                         matcher_->get(strings[m.id])->dump() + "'.");
      }
      set_token_attrs(doc.token(m.start + size_t(at)), attrs_[rule]);
    }
  }
}

void AttributeRuler::initialize(const GetExamples&, Language&) { clear(); }

void AttributeRuler::initialize_with_settings(const GetExamples&, Language&, const registry::Value& settings) {
  const std::vector<std::string> base{"initialize", "components", name()};
  auto path_of = [&](const std::string& key) {
    auto p = base;
    p.push_back(key);
    return p;
  };
  for (const auto& [key, value] : settings.items())
    if (key != "patterns" && key != "tag_map" && key != "morph_rules")
      throw ConfigError(path_of(key), "unexpected setting of the attribute_ruler (it takes patterns, "
                                      "tag_map, morph_rules)");
  clear();
  // A value written in the config, or what a reader (srsly.read_json(l).v1) made of a file.
  auto value_of = [&](const std::string& key, const JsonLines** lines) -> Json {
    const registry::Value& v = settings.at(key);
    if (v.is_object()) {
      if (const auto* l = std::any_cast<JsonLines>(&v.object())) {
        *lines = l;
        return Json(l->values);
      }
      if (const auto* j = std::any_cast<Json>(&v.object())) return *j;
      throw ConfigError(path_of(key), "expected JSON data or a reader such as @readers = "
                                      "\"srsly.read_json.v1\", got " + v.describe());
    }
    return v.json();
  };
  with_config_path(base, [&] {
    if (settings.has("patterns") && !settings.at("patterns").is_null()) {
      const JsonLines* lines = nullptr;
      Json patterns = value_of("patterns", &lines);
      if (!patterns.is_array()) throw ConfigError(path_of("patterns"), "expected a list of patterns");
      add_entries(std::vector<Json>(patterns.begin(), patterns.end()),
                  ConfigError::format_path(path_of("patterns")), lines ? lines->path : "",
                  lines ? lines->lines : std::vector<int64_t>{});
    }
    const JsonLines* ignored = nullptr;
    if (settings.has("tag_map") && !settings.at("tag_map").is_null())
      load_from_tag_map(value_of("tag_map", &ignored));
    if (settings.has("morph_rules") && !settings.at("morph_rules").is_null())
      load_from_morph_rules(value_of("morph_rules", &ignored));
  });
}

void AttributeRuler::to_disk(const std::string& dir) const {
  fs::create_directories(dir);
  // spaCy: srsly.write_msgpack(<dir>/patterns, self.patterns).
  const std::vector<std::uint8_t> bytes = Json::to_msgpack(patterns());
  const std::string path = (fs::path(dir) / "patterns").string();
  write_file_bytes(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

void AttributeRuler::from_disk(const std::string& dir) {
  const std::string path = (fs::path(dir) / "patterns").string();
  const std::string bytes = read_file_bytes(path);
  // spaCy's msgpack list; a JSON list (what earlier trfpipe versions wrote) is read too.
  Json list = Json::from_msgpack(bytes, /*strict=*/true, /*allow_exceptions=*/false);
  if (list.is_discarded()) list = parse_json_limited_or_discarded<Json>(bytes);
  if (!list.is_array())
    throw DataError(path, -1, "expected a msgpack (or JSON) list of attribute_ruler patterns");
  clear();
  add_entries(std::vector<Json>(list.begin(), list.end()), path, path, std::vector<int64_t>(list.size(), -1));
}

void register_attribute_ruler() {
  add_placeholder_scorer("spacy.attribute_ruler_scorer.v1");
  FactoryMeta m;
  m.name = "attribute_ruler";
  m.default_config = Json{{"validate", false}, {"scorer", Json{{"@scorers", "spacy.attribute_ruler_scorer.v1"}}}};
  m.make = [](Language& nlp, const std::string& name, const registry::Value& config) {
    check_settings(config, name, "attribute_ruler", {"validate", "scorer"});
    return std::unique_ptr<Pipe>(std::make_unique<AttributeRuler>(nlp, name, bool_setting(config, name, "validate")));
  };
  register_factory(std::move(m));
}

}  // namespace trfpipe
