// The rule-based components through the real CLI: an entity_ruler before a trained ner (patterns
// from a JSONL file via [initialize.components.entity_ruler.patterns], spaCy's way), trained,
// saved, applied and evaluated; a rules-only pipeline assembled and applied; bad pattern files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/temp_dir.hpp"
#include "run_cli.hpp"

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using trfpipe::testing::run_cli;
using trfpipe::testing::RunResult;
using trfpipe::testing::TempDir;

namespace {

std::vector<Json> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<Json> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(Json::parse(line));
  return out;
}

// Sentences in spaCy's IOB format ("word|TAG ..."): people who work at organisations in cities.
std::string iob_corpus(size_t n, unsigned seed) {
  const std::vector<std::string> people = {"Anna|B-PER Smith|I-PER", "Bo|B-PER", "Carla|B-PER Diaz|I-PER", "Dev|B-PER"};
  const std::vector<std::string> orgs = {"Acme|B-ORG Corp|I-ORG", "Globex|B-ORG", "Initech|B-ORG", "Umbrella|B-ORG Inc|I-ORG"};
  const std::vector<std::string> cities = {"Paris|B-LOC", "New|B-LOC York|I-LOC", "Oslo|B-LOC", "Lima|B-LOC"};
  std::mt19937 rng(seed);
  std::ostringstream out;
  for (size_t i = 0; i < n; ++i) {
    out << people[rng() % people.size()] << " works|O at|O " << orgs[rng() % orgs.size()] << " in|O "
        << cities[rng() % cities.size()] << " .|O\n";
  }
  return out.str();
}

const char* kNerConfig = R"([paths]
train = null
dev = null
patterns = null

[system]
seed = 1

[nlp]
lang = "en"
pipeline = ["entity_ruler","ner"]

[components]

[components.entity_ruler]
factory = "entity_ruler"
overwrite_ents = false

[components.ner]
factory = "ner"

[components.ner.model]
@architectures = "spacy.TransitionBasedParser.v2"
state_type = "ner"
extra_state_tokens = false
hidden_width = 32
maxout_pieces = 2
use_upper = true
nO = null

[components.ner.model.tok2vec]
@architectures = "spacy.HashEmbedCNN.v2"
pretrained_vectors = null
width = 32
depth = 1
embed_size = 500
window_size = 1
maxout_pieces = 2
subword_features = true

[corpora]

[corpora.train]
@readers = "spacy.Corpus.v1"
path = ${paths.train}

[corpora.dev]
@readers = "spacy.Corpus.v1"
path = ${paths.dev}

[training]
max_steps = 12
eval_frequency = 6

[training.batcher]
@batchers = "spacy.batch_by_words.v1"
size = 300

[initialize]

[initialize.components]

[initialize.components.entity_ruler]

[initialize.components.entity_ruler.patterns]
@readers = "srsly.read_jsonl.v1"
path = ${paths.patterns}
)";

class RulersCli : public ::testing::Test {
 protected:
  TempDir tmp;
  std::string data(const std::string& name, size_t n, unsigned seed) {
    const std::string iob = tmp.file(name + ".iob", iob_corpus(n, seed));
    fs::create_directories(tmp / "data");
    RunResult r = run_cli({"convert", iob, tmp / "data"});
    EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
    return std::filesystem::path(tmp / "data") / (name + ".spacy");
  }
};

}  // namespace

TEST_F(RulersCli, EntityRulerBeforeNerTrainsSavesAndApplies) {
  const std::string train = data("train", 40, 1), dev = data("dev", 10, 2);
  const std::string patterns = tmp.file(
      "patterns.jsonl",
      "{\"label\": \"ORG\", \"pattern\": \"Acme Corp\", \"id\": \"acme\"}\n"
      "{\"label\": \"ORG\", \"pattern\": [{\"LOWER\": \"globex\"}]}\n"
      "\n"
      "{\"label\": \"LOC\", \"pattern\": [{\"LOWER\": \"new\"}, {\"LOWER\": \"york\"}]}\n");
  const std::string cfg = tmp.file("config.cfg", kNerConfig);
  RunResult r = run_cli({"train", cfg, "--output", tmp / "out", "--paths.train", train, "--paths.dev", dev,
                         "--paths.patterns", patterns});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("ENTS_F"), std::string::npos) << r.out;
  const fs::path best = std::filesystem::path(tmp / "out") / "model-best";
  ASSERT_TRUE(fs::exists(best / "entity_ruler" / "patterns.jsonl"));
  EXPECT_EQ(read_lines(best / "entity_ruler" / "patterns.jsonl").size(), 3u);
  fs::remove(patterns);  // the saved pipeline carries its patterns

  const std::string in = tmp.file("in.jsonl", "{\"text\": \"Bo works at Acme Corp in New York .\"}\n"
                                              "{\"text\": \"nothing to see\"}\n");
  r = run_cli({"apply", best, in, tmp / "applied.jsonl"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  std::vector<Json> docs = read_lines(tmp / "applied.jsonl");
  ASSERT_EQ(docs.size(), 2u);
  // The ruler's entities come first; the ner may add others but cannot remove these.
  bool acme = false, york = false;
  for (const Json& e : docs[0]["ents"]) {
    acme = acme || (e["start"] == 12 && e["end"] == 21 && e["label"] == "ORG");
    york = york || (e["start"] == 25 && e["end"] == 33 && e["label"] == "LOC");
  }
  EXPECT_TRUE(acme) << docs[0].dump();
  EXPECT_TRUE(york) << docs[0].dump();

  r = run_cli({"evaluate", best, dev, "--output", tmp / "scores.json"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  Json scores = Json::parse(std::ifstream(tmp / "scores.json"));
  ASSERT_TRUE(scores.contains("ents_f")) << scores.dump();
  EXPECT_GT(scores["ents_f"].get<double>(), 0.0);
}

// The shape of explosion/projects tutorials/spanruler_restaurant_reviews configs/ner_ruler.cfg:
// a span_ruler after the ner writing doc.ents only (spans_key = null), its matches replacing
// the ner's entities they overlap (prioritize_new_ents_filter), validate = true.
TEST_F(RulersCli, SpanRulerAfterNerOverridesItsEntities) {
  const std::string train = data("train", 40, 4), dev = data("dev", 10, 5);
  std::string config = kNerConfig;
  auto replace = [&](const std::string& from, const std::string& to) {
    const size_t at = config.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    config.replace(at, from.size(), to);
  };
  replace("pipeline = [\"entity_ruler\",\"ner\"]", "pipeline = [\"ner\",\"span_ruler\"]");
  replace("[components.entity_ruler]\nfactory = \"entity_ruler\"\noverwrite_ents = false\n",
          "[components.span_ruler]\nfactory = \"span_ruler\"\nspans_key = null\nannotate_ents = true\n"
          "ents_filter = {\"@misc\": \"spacy.prioritize_new_ents_filter.v1\"}\nvalidate = true\n"
          "overwrite = false\n");
  replace("[initialize.components.entity_ruler]\n\n[initialize.components.entity_ruler.patterns]\n"
          "@readers = \"srsly.read_jsonl.v1\"\npath = ${paths.patterns}\n",
          "[initialize.components.span_ruler]\npatterns = [{\"label\": \"CITY\", \"pattern\": "
          "[{\"LOWER\": {\"IN\": [\"paris\", \"oslo\", \"lima\"]}}]}, {\"label\": \"CITY\", \"pattern\": "
          "\"New York\", \"id\": \"nyc\"}]\n");
  const std::string cfg = tmp.file("ner_ruler.cfg", config);
  RunResult r = run_cli({"train", cfg, "--output", tmp / "out", "--paths.train", train, "--paths.dev", dev});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const fs::path best = std::filesystem::path(tmp / "out") / "model-best";
  ASSERT_EQ(read_lines(best / "span_ruler" / "patterns").size(), 2u);
  const std::string in = tmp.file("in.jsonl", "{\"text\": \"Dev works at Initech in Lima .\"}\n"
                                              "{\"text\": \"Anna Smith works at Globex in New York .\"}\n");
  r = run_cli({"apply", best, in, tmp / "applied.jsonl"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  std::vector<Json> docs = read_lines(tmp / "applied.jsonl");
  ASSERT_EQ(docs.size(), 2u);
  // Whatever the ner said about the cities, the ruler's CITY replaced it, and nothing overlaps.
  auto labels_at = [](const Json& doc, int start, int end) {
    std::vector<std::string> out;
    for (const Json& e : doc["ents"])
      if (e["start"].get<int>() < end && e["end"].get<int>() > start) out.push_back(e["label"]);
    return out;
  };
  EXPECT_EQ(labels_at(docs[0], 24, 28), std::vector<std::string>{"CITY"}) << docs[0].dump();
  EXPECT_EQ(labels_at(docs[1], 30, 38), std::vector<std::string>{"CITY"}) << docs[1].dump();
  for (const Json& e : docs[1]["ents"])
    if (e["label"] == "CITY") EXPECT_EQ(e["start"], 30) << docs[1].dump();
  EXPECT_FALSE(docs[1].contains("spans") && docs[1]["spans"].contains("ruler")) << docs[1].dump();
}

TEST_F(RulersCli, BadPatternFilesStopTrainingWithFileAndLine) {
  const std::string train = data("train", 8, 3);
  const std::string cfg = tmp.file("config.cfg", kNerConfig);
  const std::string bad = tmp.file("bad.jsonl",
                                   "{\"label\": \"ORG\", \"pattern\": \"Acme\"}\n"
                                   "{\"label\": \"ORG\", \"pattern\": [{\"LOWER\": \"x\", \"OP\": \"%\"}]}\n");
  RunResult r = run_cli({"train", cfg, "--output", tmp / "out", "--paths.train", train, "--paths.dev", train,
                         "--paths.patterns", bad});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.exit_code, 1) << r.err;  // a failing command, not a usage error or a crash
  EXPECT_NE(r.err.find(bad + ":2: pattern 1 (label 'ORG')"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("key 'OP': [E011]"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(std::filesystem::path(tmp / "out") / "model-best"));

  r = run_cli({"train", cfg, "--output", tmp / "out2", "--paths.train", train, "--paths.dev", train,
               "--paths.patterns", tmp / "missing.jsonl"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("missing.jsonl"), std::string::npos) << r.err;
}

TEST_F(RulersCli, RulesOnlyPipelineAssemblesAndApplies) {
  const std::string cfg = tmp.file("rules.cfg", R"([nlp]
lang = "en"
pipeline = ["attribute_ruler","entity_ruler","merge_entities","span_ruler","doc_cleaner"]

[components]

[components.attribute_ruler]
factory = "attribute_ruler"

[components.entity_ruler]
factory = "entity_ruler"
phrase_matcher_attr = "LOWER"

[components.span_ruler]
factory = "span_ruler"
spans_key = "mentions"

[components.merge_entities]
factory = "merge_entities"

[components.doc_cleaner]
factory = "doc_cleaner"

[initialize]

[initialize.components]

[initialize.components.attribute_ruler]
patterns = [{"patterns": [[{"LOWER": "the"}]], "attrs": {"TAG": "DT", "POS": "DET"}}]

[initialize.components.entity_ruler]
patterns = [{"label": "GPE", "pattern": "new york city"}]

[initialize.components.span_ruler]
patterns = [{"label": "DET", "pattern": [{"POS": "DET"}]}, {"label": "PLACE", "pattern": [{"ENT_TYPE": "GPE"}]}]
)");
  RunResult r = run_cli({"assemble", cfg, tmp / "pipe"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const std::string in = tmp.file("in.jsonl", "{\"text\": \"I love the city of New York City.\"}\n");
  r = run_cli({"apply", tmp / "pipe", in, tmp / "out.jsonl"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  std::vector<Json> docs = read_lines(tmp / "out.jsonl");
  ASSERT_EQ(docs.size(), 1u);
  const Json& d = docs[0];
  // merge_entities made "New York City" one token.
  ASSERT_EQ(d["tokens"].size(), 7u) << d.dump();
  EXPECT_EQ(d["tokens"][5]["start"], 19);
  EXPECT_EQ(d["tokens"][5]["end"], 32);
  EXPECT_EQ(d["tokens"][2]["tag"], "DT");
  EXPECT_EQ(d["tokens"][2]["pos"], "DET");
  EXPECT_EQ(d["ents"], Json::parse(R"([{"start": 19, "end": 32, "label": "GPE"}])"));
  ASSERT_TRUE(d.contains("spans")) << d.dump();
  EXPECT_EQ(d["spans"]["mentions"],
            Json::parse(R"([{"start": 7, "end": 10, "label": "DET", "kb_id": ""},
                            {"start": 19, "end": 32, "label": "PLACE", "kb_id": ""}])"));
}
