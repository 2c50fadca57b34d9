// The parser and senter from the command line, as a spaCy user runs them: `init config` without
// -p (spaCy's default tagger, parser, ner) and with -p tagger,parser,ner,senter, CPU and
// --transformer; each trains a few steps on UD EWT sentences (converted from CoNLL-U, with
// entities in MISC so the ner has labels); evaluate prints UAS / LAS / SENT and LAS per type;
// apply writes heads and deps. Also: every new component of issue 12 in one init config, and
// spaCy's tagger_parser_ud project config trained as written.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/temp_dir.hpp"
#include "run_cli.hpp"
#include "sample_data.hpp"

namespace fs = std::filesystem;
using trfpipe::testing::run_cli;
using trfpipe::testing::RunResult;
using trfpipe::testing::TempDir;
using trfpipe::testing::ud_sample_with_ents;

namespace {

std::string read(const std::string& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// init config -> train a few steps -> evaluate -> apply; returns the evaluate scores.
nlohmann::json init_train_evaluate(const TempDir& tmp, const std::vector<std::string>& init_args,
                                   const std::string& data, const std::string& expected_pipeline) {
  std::vector<std::string> args = {"init", "config", tmp / "c.cfg"};
  args.insert(args.end(), init_args.begin(), init_args.end());
  RunResult c = run_cli(args);
  EXPECT_EQ(c.exit_code, 0) << c.err << c.out;
  const std::string cfg = read(tmp / "c.cfg");
  EXPECT_NE(cfg.find(expected_pipeline), std::string::npos) << cfg;
  trfpipe::testing::RunOptions slow;
  slow.timeout_seconds = 900;
  RunResult t = trfpipe::testing::run_process(
      {"train", tmp / "c.cfg", "--output", tmp / "out", "--paths.train", data, "--paths.dev", data,
       "--training.max_steps", "6", "--training.eval_frequency", "3"},
      slow);
  EXPECT_EQ(t.exit_code, 0) << t.err << t.out;
  EXPECT_NE(t.out.find("DEP_UAS"), std::string::npos) << t.out;
  RunResult e = run_cli({"evaluate", tmp / "out/model-last", data, "--output", tmp / "scores.json"});
  EXPECT_EQ(e.exit_code, 0) << e.err << e.out;
  for (const char* row : {"UAS ", "LAS ", "SENT P", "LAS (per type)"})
    EXPECT_NE(e.out.find(row), std::string::npos) << row << "\n" << e.out;
  RunResult a = run_cli({"apply", tmp / "out/model-last", tmp.file("in.txt", "I like tea. You do.\n"),
                         tmp / "pred.jsonl"});
  EXPECT_EQ(a.exit_code, 0) << a.err;
  std::string line;
  std::ifstream pf(tmp / "pred.jsonl");
  std::getline(pf, line);
  nlohmann::json doc = nlohmann::json::parse(line);
  EXPECT_TRUE(doc["tokens"][0].contains("head")) << line;
  EXPECT_TRUE(doc["tokens"][0].contains("dep")) << line;
  EXPECT_TRUE(doc.contains("sents")) << line;
  return nlohmann::json::parse(read(tmp / "scores.json"));
}

}  // namespace

TEST(ParserCli, DefaultInitConfigIsTaggerParserNerAndTrains) {
  TempDir tmp;
  const std::string data = ud_sample_with_ents(tmp, 30);
  nlohmann::json s = init_train_evaluate(tmp, {}, data,
                                         "pipeline = [\"tok2vec\",\"tagger\",\"parser\",\"ner\"]");
  const std::string cfg = read(tmp / "c.cfg");
  EXPECT_NE(cfg.find("state_type = \"parser\""), std::string::npos);
  EXPECT_NE(cfg.find("min_action_freq = 30"), std::string::npos);       // auto-filled default
  EXPECT_NE(cfg.find("dep_uas = 0.17"), std::string::npos) << cfg;      // combined weights
  for (const char* k : {"dep_uas", "dep_las", "dep_las_per_type", "sents_f", "tag_acc", "ents_f"})
    EXPECT_TRUE(s.contains(k)) << k << "\n" << s.dump();
  EXPECT_GE(s["dep_uas"].get<double>(), 0.0);
  EXPECT_LE(s["dep_uas"].get<double>(), 1.0);
}

TEST(ParserCli, InitConfigWithSenterTrains) {
  TempDir tmp;
  const std::string data = ud_sample_with_ents(tmp, 30);
  nlohmann::json s = init_train_evaluate(
      tmp, {"-p", "tagger,parser,ner,senter"}, data,
      "pipeline = [\"tok2vec\",\"tagger\",\"parser\",\"ner\",\"senter\"]");
  EXPECT_NE(read(tmp / "c.cfg").find("[components.senter.model.tok2vec]"), std::string::npos);
  EXPECT_TRUE(s.contains("sents_f"));
}

TEST(ParserCli, InitConfigTransformerVariantTrains) {
  TempDir tmp;
  const std::string data = ud_sample_with_ents(tmp, 12);
  RunResult m = run_cli({"init", "model", tmp / "bert", "--arch", "bert", "--layers", "1", "--width",
                         "32", "--heads", "2", "--tokenizer",
                         std::string(TRFPIPE_SHARED_DIR) + "/data/tokenizers/bert-base-uncased-vocab.txt"});
  ASSERT_EQ(m.exit_code, 0) << m.err << m.out;
  nlohmann::json s = init_train_evaluate(
      tmp, {"-p", "tagger,parser,ner,senter", "--transformer", tmp / "bert"}, data,
      "pipeline = [\"transformer\",\"tagger\",\"parser\",\"ner\",\"senter\"]");
  const std::string cfg = read(tmp / "c.cfg");
  EXPECT_NE(cfg.find("[components.parser.model.tok2vec]\n@architectures = "
                     "\"spacy-transformers.TransformerListener.v1\""),
            std::string::npos)
      << cfg;
  EXPECT_NE(cfg.find("use_upper = false"), std::string::npos);
  EXPECT_TRUE(s.contains("dep_las"));
}

// All six trained components of issue 12 from one `init config -p` (CPU): every score family
// of the merged parser and morph work comes out of one evaluate.
TEST(ParserCli, InitConfigWithEveryNewComponentTrains) {
  TempDir tmp;
  const std::string data = ud_sample_with_ents(tmp, 30);
  nlohmann::json s = init_train_evaluate(
      tmp, {"-p", "tagger,morphologizer,parser,ner,senter,trainable_lemmatizer"}, data,
      "pipeline = [\"tok2vec\",\"tagger\",\"morphologizer\",\"parser\",\"ner\",\"senter\","
      "\"trainable_lemmatizer\"]");
  for (const char* k : {"tag_acc", "pos_acc", "morph_acc", "morph_per_feat", "lemma_acc", "dep_uas",
                        "dep_las", "ents_f", "sents_f"})
    EXPECT_TRUE(s.contains(k)) << k << "\n" << s.dump();
}

// spaCy's own projects/pipelines/tagger_parser_ud config, as written (MultiHashEmbed.v1; tagger,
// morphologizer, trainable_lemmatizer and parser on one tok2vec), trains from the command line.
TEST(ParserCli, SpacysTaggerParserUdConfigTrainsAsWritten) {
  TempDir tmp;
  const std::string data = ud_sample_with_ents(tmp, 30);
  trfpipe::testing::RunOptions slow;
  slow.timeout_seconds = 900;
  RunResult t = trfpipe::testing::run_process(
      {"train",
       std::string(TRFPIPE_SHARED_DIR) +
           "/data/configs/projects__pipelines__tagger_parser_ud__configs__default.cfg",
       "--output", tmp / "out", "--paths.train", data, "--paths.dev", data,
       "--training.max_steps", "6", "--training.eval_frequency", "3"},
      slow);
  ASSERT_EQ(t.exit_code, 0) << t.err << t.out;
  for (const char* col : {"DEP_UAS", "MORPH_ACC", "LEMMA_ACC", "TAG_ACC"})
    EXPECT_NE(t.out.find(col), std::string::npos) << col << "\n" << t.out;
  RunResult e = run_cli({"evaluate", tmp / "out/model-last", data, "--output", tmp / "scores.json"});
  ASSERT_EQ(e.exit_code, 0) << e.err << e.out;
  nlohmann::json s = nlohmann::json::parse(read(tmp / "scores.json"));
  for (const char* k : {"tag_acc", "pos_acc", "morph_acc", "lemma_acc", "dep_uas", "dep_las"})
    EXPECT_TRUE(s[k].is_number()) << k << "\n" << s.dump();
}
