// The `sentencizer` factory (spaCy's spacy/pipeline/sentencizer.pyx semantics).
#include "components/sentencizer/sentencizer.hpp"
#include "pipeline/file_io.hpp"

#include <fstream>
#include <sstream>

#include "trfpipe/error.hpp"

namespace trfpipe {

namespace {

// spaCy's Sentencizer.default_punct_chars, as code points in spaCy's order.
const char32_t kDefaultPunct[] = {
    0x0021, 0x002E, 0x003F, 0x0589, 0x061F, 0x06D4, 0x0700, 0x0701, 0x0702, 0x07F9, 0x0964, 0x0965,
    0x104A, 0x104B, 0x1362, 0x1367, 0x1368, 0x166E, 0x1735, 0x1736, 0x1803, 0x1809, 0x1944, 0x1945,
    0x1AA8, 0x1AA9, 0x1AAA, 0x1AAB, 0x1B5A, 0x1B5B, 0x1B5E, 0x1B5F, 0x1C3B, 0x1C3C, 0x1C7E, 0x1C7F,
    0x203C, 0x203D, 0x2047, 0x2048, 0x2049, 0x2E2E, 0x2E3C, 0xA4FF, 0xA60E, 0xA60F, 0xA6F3, 0xA6F7,
    0xA876, 0xA877, 0xA8CE, 0xA8CF, 0xA92F, 0xA9C8, 0xA9C9, 0xAA5D, 0xAA5E, 0xAA5F, 0xAAF0, 0xAAF1,
    0xABEB, 0xFE52, 0xFE56, 0xFE57, 0xFF01, 0xFF0E, 0xFF1F, 0x10A56, 0x10A57, 0x11047, 0x11048,
    0x110BE, 0x110BF, 0x110C0, 0x110C1, 0x11141, 0x11142, 0x11143, 0x111C5, 0x111C6, 0x111CD,
    0x111DE, 0x111DF, 0x11238, 0x11239, 0x1123B, 0x1123C, 0x112A9, 0x1144B, 0x1144C, 0x115C2,
    0x115C3, 0x115C9, 0x115CA, 0x115CB, 0x115CC, 0x115CD, 0x115CE, 0x115CF, 0x115D0, 0x115D1,
    0x115D2, 0x115D3, 0x115D4, 0x115D5, 0x115D6, 0x115D7, 0x11641, 0x11642, 0x1173C, 0x1173D,
    0x1173E, 0x11A42, 0x11A43, 0x11A9B, 0x11A9C, 0x11C41, 0x11C42, 0x16A6E, 0x16A6F, 0x16AF5,
    0x16B37, 0x16B38, 0x16B44, 0x1BC9F, 0x1DA88, 0xFF61, 0x3002,
};

std::string utf8(char32_t c) {
  std::string s;
  if (c < 0x80) {
    s += char(c);
  } else if (c < 0x800) {
    s += char(0xC0 | (c >> 6));
    s += char(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    s += char(0xE0 | (c >> 12));
    s += char(0x80 | ((c >> 6) & 0x3F));
    s += char(0x80 | (c & 0x3F));
  } else {
    s += char(0xF0 | (c >> 18));
    s += char(0x80 | ((c >> 12) & 0x3F));
    s += char(0x80 | ((c >> 6) & 0x3F));
    s += char(0x80 | (c & 0x3F));
  }
  return s;
}

using Guesses = std::vector<std::vector<bool>>;

}  // namespace

const std::vector<std::string>& Sentencizer::default_punct_chars() {
  static const std::vector<std::string> chars = [] {
    std::vector<std::string> v;
    for (char32_t c : kDefaultPunct) v.push_back(utf8(c));
    return v;
  }();
  return chars;
}

Sentencizer::Sentencizer(std::string name, std::vector<std::string> punct_chars, bool overwrite)
    : Pipe(std::move(name)), overwrite_(overwrite) {
  set_factory_name("sentencizer");
  set_punct_chars(std::move(punct_chars));
}

void Sentencizer::set_punct_chars(std::vector<std::string> chars) {
  punct_chars_ = chars.empty() ? default_punct_chars() : std::move(chars);
  punct_set_ = std::set<std::string>(punct_chars_.begin(), punct_chars_.end());
}

std::any Sentencizer::predict(const std::vector<Doc*>& docs) {
  Guesses guesses;
  guesses.reserve(docs.size());
  for (Doc* doc : docs) {
    std::vector<bool> g(doc->size(), false);
    if (doc->size() > 0) {
      size_t start = 0;
      bool seen_period = false;
      g[0] = true;
      for (size_t i = 0; i < doc->size(); ++i) {
        Token t = doc->token(i);
        bool is_in_punct_chars = punct_set_.count(std::string(t.text())) > 0;
        if (seen_period && !t.is_punct() && !is_in_punct_chars) {
          g[start] = true;
          start = i;
          seen_period = false;
        } else if (is_in_punct_chars) {
          seen_period = true;
        }
      }
      if (start < doc->size()) g[start] = true;
    }
    guesses.push_back(std::move(g));
  }
  return guesses;
}

void Sentencizer::set_annotations(const std::vector<Doc*>& docs, const std::any& scores) {
  const Guesses& guesses = std::any_cast<const Guesses&>(scores);
  for (size_t d = 0; d < docs.size() && d < guesses.size(); ++d) {
    auto& tokens = docs[d]->tokens();
    for (size_t j = 0; j < guesses[d].size() && j < tokens.size(); ++j) {
      if (tokens[j].sent_start == 0 || overwrite_) tokens[j].sent_start = guesses[d][j] ? 1 : -1;
    }
  }
}

void Sentencizer::to_disk(const std::string& dir) const {
  const std::string path = dir + ".json";
  Json j = {{"punct_chars", punct_chars_}, {"overwrite", overwrite_}};
  write_file_bytes(path, j.dump());
}

void Sentencizer::from_disk(const std::string& dir) {
  const std::string path = dir + ".json";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path, -1, "sentencizer settings file is missing or unreadable");
  Json j = read_json_file(path);
  if (!j.is_object()) throw DataError(path, -1, "expected a JSON object");
  if (j.contains("punct_chars")) {
    if (!j["punct_chars"].is_array()) throw DataError(path, -1, "punct_chars must be a list");
    std::vector<std::string> chars;
    for (const auto& c : j["punct_chars"]) {
      if (!c.is_string()) throw DataError(path, -1, "punct_chars must hold strings");
      chars.push_back(c.get<std::string>());
    }
    set_punct_chars(chars.empty() ? default_punct_chars() : chars);
  }
  if (j.contains("overwrite")) {
    if (!j["overwrite"].is_boolean()) throw DataError(path, -1, "overwrite must be true or false");
    overwrite_ = j["overwrite"].get<bool>();
  }
}

void register_sentencizer() {
  registry::Registry& scorers = registry::get("scorers");
  if (!scorers.has("spacy.senter_scorer.v1")) {
    // Placeholder until the scoring code registers the real scorer (a later add replaces it).
    registry::Function f;
    f.registry = "scorers";
    f.name = "spacy.senter_scorer.v1";
    f.returns = "Callable";
    f.make = [](const registry::Value&, const std::vector<std::string>&) -> std::any {
      return std::string("spacy.senter_scorer.v1");
    };
    scorers.add(std::move(f));
  }
  FactoryMeta m;
  m.name = "sentencizer";
  m.default_config = Json{{"punct_chars", nullptr},
                          {"overwrite", false},
                          {"scorer", Json{{"@scorers", "spacy.senter_scorer.v1"}}}};
  m.assigns = {"token.is_sent_start"};
  m.default_score_weights = Json{{"sents_f", 1.0}, {"sents_p", 0.0}, {"sents_r", 0.0}};
  m.make = [](Language&, const std::string& name, const registry::Value& config) {
    const std::vector<std::string> base{"components", name};
    for (const auto& [key, value] : config.items()) {
      if (key != "punct_chars" && key != "overwrite" && key != "scorer") {
        auto path = base;
        path.push_back(key);
        throw ConfigError(path, "unknown setting of the sentencizer (expected punct_chars, "
                                "overwrite, scorer)");
      }
    }
    std::vector<std::string> chars;
    const registry::Value& pc = config.at("punct_chars");
    if (!pc.is_null()) {
      auto path = base;
      path.push_back("punct_chars");
      const Json& j = pc.json();
      if (!j.is_array()) throw ConfigError(path, "expected a list of strings or null");
      for (const auto& c : j) {
        if (!c.is_string()) throw ConfigError(path, "expected a list of strings or null");
        chars.push_back(c.get<std::string>());
      }
    }
    const Json& ow = config.at("overwrite").json();
    if (!ow.is_boolean()) {
      auto path = base;
      path.push_back("overwrite");
      throw ConfigError(path, "expected true or false, got " + ow.dump());
    }
    return std::unique_ptr<Pipe>(std::make_unique<Sentencizer>(name, chars, ow.get<bool>()));
  };
  register_factory(std::move(m));
}

}  // namespace trfpipe
