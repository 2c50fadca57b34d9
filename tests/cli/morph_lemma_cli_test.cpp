// The morphologizer and the trainable lemmatizer from the command line, as a spaCy user runs
// them: `init config -p tagger,morphologizer,trainable_lemmatizer` (CPU and --transformer), a
// few training steps on UD EWT sentences converted from CoNLL-U, evaluate (POS, MORPH, LEMMA
// and the per-feature table) and apply (morph, lemma and pos in the output).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/temp_dir.hpp"
#include "run_cli.hpp"

namespace fs = std::filesystem;
using trfpipe::testing::run_cli;
using trfpipe::testing::RunResult;
using trfpipe::testing::TempDir;

namespace {

// The first `n` sentences of UD EWT dev, converted to .spacy.
std::string ud_dev_sample(const TempDir& tmp, size_t n) {
  std::ifstream in(std::string(TRFPIPE_SHARED_DIR) + "/data/corpora/ud_english_ewt/en_ewt-ud-dev.conllu");
  EXPECT_TRUE(in.good());
  std::ostringstream out;
  size_t sents = 0;
  for (std::string line; std::getline(in, line);) {
    out << line << "\n";
    if (line.empty() && ++sents == n) break;
  }
  const std::string conllu = tmp.file("sample.conllu", out.str());
  fs::create_directories(tmp.path / "data");
  RunResult r = run_cli({"convert", conllu, (tmp.path / "data").string(), "-n", "5"});
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  return (tmp.path / "data" / "sample.spacy").string();
}

std::string read(const std::string& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// init config -> a few training steps -> evaluate -> apply.
void init_train_evaluate_apply(const TempDir& tmp, const std::vector<std::string>& init_args,
                               const std::vector<std::string>& train_overrides) {
  const std::string data = ud_dev_sample(tmp, 30);
  std::vector<std::string> args = {"init", "config", tmp / "c.cfg", "--pipeline",
                                   "tagger,morphologizer,trainable_lemmatizer"};
  args.insert(args.end(), init_args.begin(), init_args.end());
  RunResult c = run_cli(args);
  ASSERT_EQ(c.exit_code, 0) << c.err << c.out;
  const std::string cfg = read(tmp / "c.cfg");
  for (const char* s : {"[components.morphologizer]", "factory = \"morphologizer\"",
                        "[components.trainable_lemmatizer]", "min_tree_freq = 3",
                        "backoff = \"orth\"", "lemma_acc = 0.33", "morph_acc = 0.17",
                        "morph_per_feat = null"})
    EXPECT_NE(cfg.find(s), std::string::npos) << s << "\n" << cfg;

  trfpipe::testing::RunOptions slow;
  slow.timeout_seconds = 900;
  std::vector<std::string> train = {"train", tmp / "c.cfg", "--output", tmp / "out",
                                    "--paths.train", data, "--paths.dev", data,
                                    "--training.max_steps", "6", "--training.eval_frequency", "3"};
  train.insert(train.end(), train_overrides.begin(), train_overrides.end());
  RunResult t = trfpipe::testing::run_process(train, slow);
  ASSERT_EQ(t.exit_code, 0) << t.err << t.out;
  for (const char* col : {"LOSS MORPH...", "POS_ACC", "MORPH_ACC", "LEMMA_ACC"})
    EXPECT_NE(t.out.find(col), std::string::npos) << col << "\n" << t.out;
  EXPECT_TRUE(fs::exists(tmp / "out/model-last/trainable_lemmatizer/trees"));

  RunResult e = run_cli({"evaluate", tmp / "out/model-last", data, "--output", tmp / "scores.json"});
  ASSERT_EQ(e.exit_code, 0) << e.err << e.out;
  for (const char* row : {"POS ", "MORPH ", "LEMMA ", "MORPH (per feat)", "Number "})
    EXPECT_NE(e.out.find(row), std::string::npos) << row << "\n" << e.out;
  nlohmann::json scores = nlohmann::json::parse(read(tmp / "scores.json"));
  for (const char* k : {"pos_acc", "morph_acc", "morph_micro_f", "lemma_acc", "tag_acc"}) {
    ASSERT_TRUE(scores.contains(k) && scores[k].is_number()) << k << " " << scores.dump();
    EXPECT_GE(scores[k].get<double>(), 0.0);
    EXPECT_LE(scores[k].get<double>(), 1.0);
  }
  EXPECT_TRUE(scores["morph_per_feat"].contains("Number")) << scores.dump();

  RunResult a = run_cli({"apply", tmp / "out/model-last", tmp.file("in.txt", "She likes green eggs.\n"),
                         tmp / "pred.jsonl"});
  ASSERT_EQ(a.exit_code, 0) << a.err << a.out;
  std::istringstream lines(read(tmp / "pred.jsonl"));
  std::string line;
  std::getline(lines, line);
  nlohmann::json doc = nlohmann::json::parse(line);
  ASSERT_EQ(doc["tokens"].size(), 5u) << line;
  for (const auto& tok : doc["tokens"])
    for (const char* key : {"tag", "pos", "morph", "lemma"})
      EXPECT_TRUE(tok.contains(key)) << key << " " << line;
}

}  // namespace

TEST(MorphLemmaCli, InitConfigCpuTrainsEvaluatesAndApplies) {
  TempDir tmp("trfpipe_morph_cli_cpu_");
  init_train_evaluate_apply(tmp, {}, {"--components.tok2vec.model.encode.width", "32"});
  const std::string cfg = read(tmp / "c.cfg");
  // The CPU quickstart smooths the morphologizer's labels.
  const size_t start = cfg.find("[components.morphologizer]\n");
  ASSERT_NE(start, std::string::npos) << cfg;
  const std::string section = cfg.substr(start, cfg.find("\n[", start + 1) - start);
  EXPECT_NE(section.find("\nlabel_smoothing = 0.05\n"), std::string::npos) << section;
}

TEST(MorphLemmaCli, InitConfigWithATransformerTrains) {
  TempDir tmp("trfpipe_morph_cli_trf_");
  RunResult m = run_cli({"init", "model", tmp / "bert", "--arch", "bert", "--tokenizer",
                         std::string(TRFPIPE_SHARED_DIR) + "/data/tokenizers/bert-base-uncased-vocab.txt",
                         "--width", "32", "--layers", "1", "--heads", "2"});
  ASSERT_EQ(m.exit_code, 0) << m.err << m.out;
  init_train_evaluate_apply(tmp, {"--transformer", tmp / "bert"}, {});
  const std::string cfg = read(tmp / "c.cfg");
  EXPECT_NE(cfg.find("[components.trainable_lemmatizer.model.tok2vec]\n@architectures = "
                     "\"spacy-transformers.TransformerListener.v1\""),
            std::string::npos)
      << cfg;
}

TEST(MorphLemmaCli, ApplyWithTheFactoriesByName) {
  // The components need training: applying an untrained one is a clear error, not a crash.
  TempDir tmp("trfpipe_morph_cli_apply_");
  for (const char* pipe : {"morphologizer", "trainable_lemmatizer"}) {
    RunResult a = run_cli({"apply", "blank:en", tmp.file("in.txt", "Hello there.\n"),
                           tmp / "out.jsonl", "--pipe", pipe});
    EXPECT_NE(a.exit_code, 0) << pipe;
    EXPECT_EQ(a.err.find("Unknown pipe"), std::string::npos) << a.err;
    EXPECT_EQ(a.err.find("Unexpected error"), std::string::npos) << a.err;
  }
}
