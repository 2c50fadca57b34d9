// `trfpipe init labels` and [initialize.components.X.labels] with spacy.read_labels.v1 (spaCy's
// "initialize from label files" workflow), its bad-input errors, and the configs `init config
// --transformer` writes for tagger, ner, textcat / textcat_multilabel: filled, assembled and
// trained a few steps (TextCatEnsemble.v2 on a transformer listener sizes its layers at
// initialization).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/temp_dir.hpp"
#include "run_cli.hpp"

namespace fs = std::filesystem;
using trfpipe::testing::RunResult;
using trfpipe::testing::run_cli;
using trfpipe::testing::TempDir;

namespace {

std::string shared(const std::string& rel) { return std::string(TRFPIPE_SHARED_DIR) + "/data/" + rel; }

std::string read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The first `n` blank-line separated sentences of `file`, written to `out`.
void first_sentences(const std::string& file, size_t n, const std::string& out) {
  std::ifstream in(file);
  std::ofstream o(out);
  size_t sents = 0;
  for (std::string line; std::getline(in, line);) {
    o << line << "\n";
    if (line.empty() && ++sents == n) break;
  }
}

// A corpus folder: UD EWT (tags, parses), UNER (PER/LOC/ORG) and single-label GoEmotions (cats).
std::string small_corpus(const TempDir& tmp, size_t n) {
  const std::string corpus = tmp / "corpus";
  fs::create_directories(corpus);
  first_sentences(shared("corpora/ud_english_ewt/en_ewt-ud-dev.conllu"), n, tmp / "ud.conllu");
  first_sentences(shared("corpora/uner_english_ewt/en_ewt-ud-dev.iob2"), n, tmp / "uner.iob2");
  {
    std::ifstream in(shared("corpora/goemotions/dev.tsv"));
    std::ofstream o(tmp / "goemotions.tsv");
    size_t kept = 0;
    for (std::string line; kept < n && std::getline(in, line);) {
      const size_t a = line.find('\t'), b = line.find('\t', a + 1);
      if (line.substr(a + 1, b - a - 1).find(',') != std::string::npos) continue;  // one label
      o << line << "\n";
      ++kept;
    }
  }
  for (std::vector<std::string> args :
       {std::vector<std::string>{"convert", tmp / "ud.conllu", corpus, "-n", "5"},
        {"convert", tmp / "uner.iob2", corpus, "-n", "5"},
        {"convert", tmp / "goemotions.tsv", corpus, "-c", "goemotions", "--labels",
         shared("corpora/goemotions/labels.txt")}}) {
    RunResult r = run_cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  return corpus;
}

std::string labels_block(const std::string& component, const std::string& path,
                         const std::string& more = "") {
  return "\n[initialize.components." + component + "]\n\n[initialize.components." + component +
         ".labels]\n@readers = \"spacy.read_labels.v1\"\npath = \"" + path + "\"\n" + more;
}

TEST(InitLabelsCli, WritesLabelDataThatAssembleInitializesFrom) {
  TempDir tmp;
  const std::string corpus = small_corpus(tmp, 30);
  RunResult r = run_cli({"init", "config", tmp / "c.cfg", "-p", "tagger,ner"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  r = run_cli({"init", "labels", tmp / "c.cfg", tmp / "labels", "--paths.train", corpus,
               "--paths.dev", corpus});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("No label data found for component 'tok2vec'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Saving label data for component 'tagger'"), std::string::npos) << r.out;
  const nlohmann::json tags = nlohmann::json::parse(read(tmp / "labels/tagger.json"));
  ASSERT_TRUE(tags.is_array());
  EXPECT_NE(std::find(tags.begin(), tags.end(), "NN"), tags.end()) << tags.dump();
  EXPECT_NE(std::find(tags.begin(), tags.end(), "DT"), tags.end()) << tags.dump();
  // The ner's label data is its moves, as spaCy's: {"1": {label: freq}, ...}.
  const nlohmann::json moves = nlohmann::json::parse(read(tmp / "labels/ner.json"));
  ASSERT_TRUE(moves.is_object()) << moves.dump();
  std::set<std::string> in_data, in_moves;  // the entity types of the UNER sample
  std::ifstream iob(tmp / "uner.iob2");
  for (std::string line; std::getline(iob, line);) {
    std::istringstream cols(line);
    std::string id, word, tag;
    if (cols >> id >> word >> tag && tag.rfind("B-", 0) == 0) in_data.insert(tag.substr(2));
  }
  for (const auto& [label, freq] : moves["1"].items()) in_moves.insert(label);
  EXPECT_FALSE(in_data.empty());
  EXPECT_EQ(in_moves, in_data) << moves.dump();

  // assemble initializes without examples: the labels come from the files only.
  std::ofstream(tmp / "c.cfg", std::ios::app)
      << labels_block("tagger", tmp / "labels/tagger.json") << labels_block("ner", tmp / "labels/ner.json");
  r = run_cli({"assemble", tmp / "c.cfg", tmp / "pipe"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(nlohmann::json::parse(read(tmp / "pipe/tagger/cfg"))["labels"], tags);
  const nlohmann::json ner_labels = nlohmann::json::parse(read(tmp / "pipe/ner/cfg"))["labels"];
  EXPECT_EQ(ner_labels.size(), moves["1"].size()) << ner_labels.dump();
}

TEST(InitLabelsCli, MorphologizerLemmatizerAndParserLabelDataRoundTrip) {
  TempDir tmp;
  const std::string corpus = small_corpus(tmp, 30);
  RunResult r = run_cli({"init", "config", tmp / "c.cfg", "-p", "morphologizer,trainable_lemmatizer,parser"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  r = run_cli({"init", "labels", tmp / "c.cfg", tmp / "labels", "--paths.train", corpus,
               "--paths.dev", corpus});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const nlohmann::json morph = nlohmann::json::parse(read(tmp / "labels/morphologizer.json"));
  const nlohmann::json lemma = nlohmann::json::parse(read(tmp / "labels/trainable_lemmatizer.json"));
  const nlohmann::json moves = nlohmann::json::parse(read(tmp / "labels/parser.json"));
  ASSERT_TRUE(morph.contains("morph") && morph.contains("pos")) << morph.dump();
  EXPECT_GT(morph["morph"].size(), 5u);
  ASSERT_TRUE(lemma.contains("trees") && lemma.contains("labels")) << lemma.dump();
  EXPECT_GT(lemma["labels"].size(), 2u);
  EXPECT_TRUE(moves.contains("2") && moves["2"].contains("nsubj")) << moves.dump();  // LEFT-nsubj
  std::ofstream(tmp / "c.cfg", std::ios::app)
      << labels_block("morphologizer", tmp / "labels/morphologizer.json")
      << labels_block("trainable_lemmatizer", tmp / "labels/trainable_lemmatizer.json")
      << labels_block("parser", tmp / "labels/parser.json");
  r = run_cli({"assemble", tmp / "c.cfg", tmp / "pipe"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(nlohmann::json::parse(read(tmp / "pipe/morphologizer/cfg"))["labels_morph"].size(),
            morph["morph"].size());
  EXPECT_EQ(nlohmann::json::parse(read(tmp / "pipe/trainable_lemmatizer/cfg"))["labels"],
            lemma["labels"]);
  EXPECT_EQ(nlohmann::json::parse(read(tmp / "pipe/parser/moves"))["moves"], moves);
}

TEST(InitLabelsCli, BadLabelFilesAreNamed) {
  TempDir tmp;
  RunResult r = run_cli({"init", "config", tmp / "c.cfg", "-p", "tagger"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string base = read(tmp / "c.cfg");
  // Not a list of labels.
  const std::string bad = tmp.file("tagger.json", "{\"NN\": 1}");
  std::ofstream(tmp / "bad.cfg") << base << labels_block("tagger", bad);
  r = run_cli({"assemble", tmp / "bad.cfg", tmp / "pipe"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find(bad), std::string::npos) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("JSON list"), std::string::npos) << r.out << r.err;
  // Required and missing.
  const std::string missing = tmp / "nowhere.json";
  std::ofstream(tmp / "missing.cfg") << base << labels_block("tagger", missing, "require = true\n");
  r = run_cli({"assemble", tmp / "missing.cfg", tmp / "pipe"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find(missing), std::string::npos) << r.out << r.err;
  // Labels written in the config itself work as well.
  std::ofstream(tmp / "inline.cfg") << base
                                    << "\n[initialize.components.tagger]\nlabels = [\"A\", \"B\"]\n";
  r = run_cli({"assemble", tmp / "inline.cfg", tmp / "pipe"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(nlohmann::json::parse(read(tmp / "pipe/tagger/cfg"))["labels"],
            nlohmann::json::array({"A", "B"}));
}

TEST(InitConfigTransformerCli, TaggerNerTextcatConfigsTrainForEachOptimization) {
  TempDir tmp;
  const std::string corpus = small_corpus(tmp, 12);
  const std::string model = tmp / "bert";
  RunResult r = run_cli({"init", "model", model, "--arch", "bert", "--tokenizer",
                         shared("tokenizers/bert-base-uncased-vocab.txt"), "--width", "32",
                         "--layers", "1", "--heads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const std::string pipeline : {"tagger,ner,textcat", "textcat_multilabel"})
    for (const std::string optimize : {"accuracy", "efficiency"}) {
      SCOPED_TRACE(pipeline + " " + optimize);
      const std::string cfg = tmp / (pipeline + "_" + optimize + ".cfg");
      r = run_cli({"init", "config", cfg, "-p", pipeline, "-o", optimize, "--transformer", model});
      ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
      r = run_cli({"init", "fill-config", cfg, cfg + ".filled"});
      EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
      r = run_cli({"train", cfg, "-o", tmp / "out", "--paths.train", corpus, "--paths.dev", corpus,
                   "--training.max_steps", "2", "--training.eval_frequency", "1"});
      ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
      EXPECT_TRUE(fs::exists(tmp / "out/model-last/config.cfg"));
      // The trained textcat predicts every label of the data.
      const nlohmann::json cats_cfg = nlohmann::json::parse(
          read(tmp / ("out/model-last/" + std::string(pipeline == "textcat_multilabel" ? "textcat_multilabel" : "textcat") + "/cfg")));
      EXPECT_GE(cats_cfg["labels"].size(), 2u) << cats_cfg.dump();
    }
}

}  // namespace
