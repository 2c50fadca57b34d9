// A complete trfpipe plugin: the `keyword_matcher` pipeline component (entities from a list of
// phrases, like spaCy's EntityRuler with phrase patterns, built on trfpipe's PhraseMatcher) and
// the registered function `my_components.patterns_from_jsonl.v1` that its config uses to read
// patterns from a file.
//
// Build it against an installed trfpipe (see README.md), then
//   trfpipe assemble config.cfg my_pipeline --code build/libmy_components.so
//   trfpipe apply my_pipeline texts.jsonl out.jsonl --code build/libmy_components.so
#include <algorithm>
#include <any>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <trfpipe/doc.hpp>
#include <trfpipe/error.hpp>
#include <trfpipe/language.hpp>
#include <trfpipe/matcher.hpp>
#include <trfpipe/registry.hpp>

namespace fs = std::filesystem;
using trfpipe::ConfigError;
using trfpipe::DataError;
using trfpipe::Doc;
using trfpipe::Json;
using trfpipe::Language;

namespace my_components {

// What `my_components.patterns_from_jsonl.v1` makes: a function giving the patterns as a JSON
// list of {"label": ..., "phrase": ...}. The component calls it in initialize() (assemble,
// train), not when a saved pipeline is loaded: the patterns are then read from the pipeline.
using PatternLoader = std::function<Json()>;

struct Pattern {
  std::string label, phrase;
};

// One match in a doc: tokens [start, end) get `label`.
struct Match {
  size_t start, end;
  std::string label;
};
using Matches = std::vector<std::vector<Match>>;  // per doc

// {"label": "ORG", "phrase": "Acme Corp"}; spaCy's EntityRuler phrase form {"label": "ORG",
// "pattern": "Acme Corp"} is accepted too. Returns why `p` is not such a pattern, "" if it is.
std::string pattern_problem(const Json& p) {
  if (!p.is_object()) return "a pattern must be an object {\"label\": ..., \"phrase\": ...}, got " + p.dump();
  if (!p.contains("label") || !p["label"].is_string() || p["label"].get<std::string>().empty())
    return "a pattern needs a non-empty string \"label\": " + p.dump();
  const char* key = p.contains("phrase") ? "phrase" : "pattern";
  if (!p.contains(key) || !p[key].is_string())
    return "a pattern needs a string \"phrase\" (token patterns are not supported): " + p.dump();
  if (p[key].get<std::string>().find_first_not_of(" \t\n") == std::string::npos)
    return "a pattern's phrase is empty: " + p.dump();
  return "";
}

// The label and phrase of a pattern that pattern_problem() accepted.
std::pair<std::string, std::string> label_and_phrase(const Json& p) {
  return {p["label"].get<std::string>(), p[p.contains("phrase") ? "phrase" : "pattern"].get<std::string>()};
}

// A JSONL file with one pattern per line (blank lines skipped), as a JSON list of
// {"label", "phrase"}. DataError naming the file and line for anything else.
Json read_pattern_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path, -1, "cannot open the patterns file");
  Json list = Json::array();
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Json p = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (p.is_discarded()) throw DataError(path, line_no, "invalid JSON");
    if (std::string problem = pattern_problem(p); !problem.empty())
      throw DataError(path, line_no, problem);
    auto [label, phrase] = label_and_phrase(p);
    list.push_back({{"label", label}, {"phrase", phrase}});
  }
  return list;
}

class KeywordMatcher : public trfpipe::Pipe {
 public:
  KeywordMatcher(Language& nlp, std::string name, bool overwrite, bool ignore_case,
                 PatternLoader loader)
      : Pipe(std::move(name)),
        nlp_(&nlp),
        overwrite_(overwrite),
        ignore_case_(ignore_case),
        loader_(std::move(loader)),
        matcher_(new_matcher()) {}

  void add(const std::string& label, const std::string& phrase) {
    Doc doc = nlp_->make_doc(phrase);  // the pipeline's own tokenizer, as spaCy's PhraseMatcher
    if (doc.size() == 0) return;
    matcher_.add(label, std::vector<const Doc*>{&doc});  // the label is the rule key
    patterns_.push_back({label, phrase});
  }

  // A JSON list of patterns; `where` names the source in error messages.
  void add_all(const Json& list, const std::vector<std::string>& where) {
    if (!list.is_array()) throw ConfigError(where, "expected a list of patterns, got " + list.dump());
    for (const Json& p : list) {
      if (std::string problem = pattern_problem(p); !problem.empty()) throw ConfigError(where, problem);
      auto [label, phrase] = label_and_phrase(p);
      add(label, phrase);
    }
  }

  std::vector<std::string> labels() const override {
    std::set<std::string> labels;
    for (const auto& p : patterns_) labels.insert(p.label);
    return {labels.begin(), labels.end()};
  }

  // Leftmost-longest, non-overlapping matches; among equally long ones the first added wins
  // (the PhraseMatcher lists the rules of one phrase in the order they were added).
  std::any predict(const std::vector<Doc*>& docs) override {
    Matches all;
    for (Doc* doc : docs) {
      std::vector<trfpipe::Span> spans = matcher_.match_spans(*doc);
      std::stable_sort(spans.begin(), spans.end(), [](const trfpipe::Span& a, const trfpipe::Span& b) {
        return a.start() != b.start() ? a.start() < b.start() : a.size() > b.size();
      });
      std::vector<Match> found;
      for (const trfpipe::Span& s : spans)
        if (found.empty() || s.start() >= found.back().end) found.push_back({s.start(), s.end(), s.label_()});
      all.push_back(std::move(found));
    }
    return all;
  }

  // Adds the matches to doc.ents. Existing entities win over overlapping matches unless
  // `overwrite` is set, in which case the matches replace the entities they overlap.
  void set_annotations(const std::vector<Doc*>& docs, const std::any& scores) override {
    const Matches& matches = std::any_cast<const Matches&>(scores);
    for (size_t d = 0; d < docs.size() && d < matches.size(); ++d) {
      Doc& doc = *docs[d];
      auto overlaps = [](size_t s1, size_t e1, size_t s2, size_t e2) { return s1 < e2 && s2 < e1; };
      std::vector<std::pair<size_t, size_t>> kept_ents;  // existing entities that stay
      std::vector<trfpipe::Span> result;
      for (const trfpipe::Span& e : doc.ents()) {
        bool hit = false;
        for (const Match& m : matches[d]) hit = hit || overlaps(e.start(), e.end(), m.start, m.end);
        if (hit && overwrite_) continue;
        kept_ents.emplace_back(e.start(), e.end());
        result.push_back(e);
      }
      for (const Match& m : matches[d]) {
        bool blocked = false;
        for (const auto& [s, e] : kept_ents) blocked = blocked || overlaps(s, e, m.start, m.end);
        if (!blocked) result.push_back(doc.span(m.start, m.end, m.label));
      }
      std::sort(result.begin(), result.end(),
                [](const trfpipe::Span& a, const trfpipe::Span& b) { return a.start() < b.start(); });
      doc.set_ents(result);
    }
  }

  // `trfpipe assemble` / `train` call this once: the configured loader adds its patterns.
  void initialize(const trfpipe::GetExamples&, Language&) override {
    if (loader_) add_all(loader_(), {"components", name(), "patterns_loader"});
  }

  // The component's folder holds every pattern, so a saved pipeline needs no pattern file.
  void to_disk(const std::string& dir) const override {
    fs::create_directories(dir);
    const fs::path path = fs::path(dir) / "patterns.jsonl";
    std::ofstream out(path, std::ios::binary);
    for (const auto& p : patterns_) out << Json{{"label", p.label}, {"phrase", p.phrase}}.dump() << "\n";
    out.close();
    if (!out) throw trfpipe::Error("cannot write " + path.string());
  }

  void from_disk(const std::string& dir) override {
    const Json list = read_pattern_file((fs::path(dir) / "patterns.jsonl").string());
    patterns_.clear();
    matcher_ = new_matcher();
    for (const Json& p : list) add(p["label"].get<std::string>(), p["phrase"].get<std::string>());
  }

 private:
  trfpipe::PhraseMatcher new_matcher() const {
    return trfpipe::PhraseMatcher(nlp_->vocab_ptr(), ignore_case_ ? "LOWER" : "ORTH");
  }

  Language* nlp_;  // the pipeline owning this component (for its tokenizer and vocab)
  bool overwrite_, ignore_case_;
  PatternLoader loader_;
  trfpipe::PhraseMatcher matcher_;
  std::vector<Pattern> patterns_;
};

// my_components.patterns_from_jsonl.v1: a loader reading one pattern per line of a JSONL file.
PatternLoader patterns_from_jsonl(const std::string& path) {
  return [path]() { return read_pattern_file(path); };
}

}  // namespace my_components

// The plugin's entry point, called once by `--code` / trfpipe::registry::load_plugin().
extern "C" void trfpipe_register_plugin() {
  using namespace trfpipe::registry;

  // (a) A registered function, usable anywhere in a config as
  //     [components.keywords.patterns_loader]
  //     @misc = "my_components.patterns_from_jsonl.v1"
  //     path = "patterns.jsonl"
  Function loader;
  loader.name = "my_components.patterns_from_jsonl.v1";
  loader.args = {arg("path", "str")};
  loader.returns = "Callable[[], List[Dict[str, str]]]";
  loader.make = [](const Value& args, const std::vector<std::string>&) {
    return std::any(my_components::patterns_from_jsonl(get_str(args, "path")));
  };
  get("misc").add(std::move(loader));

  // (b) The pipeline component: `factory = "keyword_matcher"` in [components.<name>].
  trfpipe::FactoryMeta meta;
  meta.name = "keyword_matcher";
  meta.default_config = {{"patterns", Json::array()},
                         {"patterns_loader", nullptr},
                         {"overwrite", false},
                         {"ignore_case", true}};
  meta.assigns = {"doc.ents", "token.ent_type", "token.ent_iob"};
  meta.default_score_weights = {{"ents_f", 1.0}, {"ents_p", 0.0}, {"ents_r", 0.0}};
  // `config` is the component's block, resolved: defaults filled, promises made.
  meta.make = [](Language& nlp, const std::string& name,
                 const Value& config) -> std::unique_ptr<trfpipe::Pipe> {
    auto path = [&](const std::string& key) { return std::vector<std::string>{"components", name, key}; };
    auto flag = [&](const std::string& key) {
      const Value& v = config.at(key);
      if (!v.is_json() || !v.json().is_boolean())
        throw ConfigError(path(key), "expected true or false, got " + v.describe());
      return v.json().get<bool>();
    };
    my_components::PatternLoader loader;
    const Value& l = config.at("patterns_loader");
    if (!l.is_null()) {
      if (!l.is_object())
        throw ConfigError(path("patterns_loader"),
                          "expected a registered function such as "
                          "@misc = \"my_components.patterns_from_jsonl.v1\", got " + l.describe());
      loader = l.as<my_components::PatternLoader>();
    }
    auto pipe = std::make_unique<my_components::KeywordMatcher>(
        nlp, name, flag("overwrite"), flag("ignore_case"), std::move(loader));
    const Value& inline_patterns = config.at("patterns");
    if (inline_patterns.is_object())
      throw ConfigError(path("patterns"), "expected a list of patterns, got " + inline_patterns.describe());
    pipe->add_all(inline_patterns.json(), path("patterns"));
    return pipe;
  };
  trfpipe::register_factory(std::move(meta));
}
