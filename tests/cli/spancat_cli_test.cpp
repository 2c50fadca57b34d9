// spancat end to end with the real CLI: WNUT17 entities -> `convert --spans-key sc` -> train
// examples/spancat_wnut17/config.cfg briefly -> evaluate (spans_sc_*) -> apply (doc.spans in the
// JSONL) -> convert that JSONL back; and spaCy's healthsea spancat config when the shared data
// has it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/temp_dir.hpp"
#include "run_cli.hpp"

namespace fs = std::filesystem;
using trfpipe::testing::run_cli;
using trfpipe::testing::RunResult;

namespace {

class SpancatCli : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(tmp_.path / "data"); }
  std::string path(const std::string& rel) const { return tmp_ / rel; }

  // The first n sentences of the WNUT17 training file, converted with --spans-key `key`.
  std::string wnut_sample(size_t n, const std::string& key, const std::string& name) {
    std::ifstream in(std::string(TRFPIPE_SHARED_DIR) + "/data/corpora/wnut17/wnut17train.conll");
    EXPECT_TRUE(in.good());
    std::ostringstream out;
    size_t sents = 0;
    for (std::string line; std::getline(in, line);) {
      out << line << "\n";
      if (line.find_first_not_of(" \t\r") == std::string::npos && ++sents == n) break;
    }
    std::ofstream(path(name + ".conll")) << out.str();
    RunResult r = run_cli({"convert", path(name + ".conll"), path("data"), "-n", "10", "--spans-key", key});
    EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
    return path("data/" + name + ".spacy");
  }

  trfpipe::testing::TempDir tmp_{"trfpipe_spancat_cli_"};
};

std::string source(const std::string& rel) { return std::string(TRFPIPE_SOURCE_DIR) + "/" + rel; }

}  // namespace

TEST_F(SpancatCli, ConvertTrainEvaluateApplyOnWnut17) {
  const std::string data = wnut_sample(120, "sc", "wnut");
  RunResult r = run_cli({"train", source("examples/spancat_wnut17/config.cfg"), "--output", path("out"),
                         "--paths.train", data, "--paths.dev", data, "--training.max_steps", "6",
                         "--training.eval_frequency", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("LOSS SPANCAT"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("SPANS_SC_F"), std::string::npos) << r.out;
  ASSERT_TRUE(fs::exists(path("out/model-best/spancat/cfg")));
  ASSERT_TRUE(fs::exists(path("out/model-best/spancat/model")));
  std::ifstream cfg_in(path("out/model-best/spancat/cfg"));
  nlohmann::json cfg = nlohmann::json::parse(cfg_in);
  EXPECT_EQ(cfg["spans_key"], "sc");
  EXPECT_EQ(cfg["threshold"], 0.5);
  EXPECT_TRUE(cfg["max_positive"].is_null());
  EXPECT_FALSE(cfg["labels"].empty());

  r = run_cli({"evaluate", path("out/model-best"), data, "--output", path("scores.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  std::ifstream scores_in(path("scores.json"));
  nlohmann::json scores = nlohmann::json::parse(scores_in);
  for (const char* k : {"spans_sc_p", "spans_sc_r", "spans_sc_f"}) EXPECT_TRUE(scores.contains(k)) << k;
  // spaCy's Results rows and per-type table for the span group.
  EXPECT_NE(r.out.find("SPAN F"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("SPANS (per type)"), std::string::npos) << r.out;
  r = run_cli({"evaluate", path("out/model-best"), data, "--spans-key", "other"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(r.out.find("SPAN F"), std::string::npos) << r.out;  // no scores for that key

  // Every doc gets the group doc.spans["sc"] (empty when nothing passes the threshold).
  std::ofstream(path("texts.jsonl")) << "{\"text\": \"I love the new iPhone from Apple in London\"}\n"
                                        "{\"text\": \"\"}\n";
  r = run_cli({"apply", path("out/model-best"), path("texts.jsonl"), path("out.jsonl")});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  std::ifstream out_in(path("out.jsonl"));
  std::string line;
  ASSERT_TRUE(std::getline(out_in, line));
  nlohmann::json doc = nlohmann::json::parse(line);
  ASSERT_TRUE(doc.contains("spans")) << line;
  ASSERT_TRUE(doc["spans"].contains("sc")) << line;
  // The JSONL output converts back to .spacy with its span groups.
  fs::create_directories(path("back"));
  r = run_cli({"convert", path("out.jsonl"), path("back")});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_TRUE(fs::exists(path("back/out.spacy")));
}

TEST_F(SpancatCli, ConvertRefusesAnEmptySpansKey) {
  RunResult r = run_cli({"convert", std::string(TRFPIPE_SHARED_DIR) + "/data/corpora/wnut17/emerging.dev.conll",
                         path("data"), "--spans-key", ""});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.err + r.out).find("--spans-key"), std::string::npos) << r.err << r.out;
}

// spaCy's healthsea spancat config (explosion/projects benchmarks/healthsea_spancat, tok2vec
// variant; spans_key "health_aspects"), trained a few steps on WNUT17 entities as that span group.
// It names spacy-legacy's Tok2Vec.v1 / MultiHashEmbed.v1 / MaxoutWindowEncoder.v1; where this
// build lacks the legacy names the equivalent v2 ones are used (same computation without static
// vectors). The file is held back from ../shared/data/configs: skipped when absent
// (TRFPIPE_HEALTHSEA_CONFIG names a copy elsewhere).
TEST_F(SpancatCli, HealthseaSpancatConfigTrains) {
  const char* env = std::getenv("TRFPIPE_HEALTHSEA_CONFIG");
  const std::string cfg_path = env && *env ? std::string(env)
      : std::string(TRFPIPE_SHARED_DIR) +
            "/data/configs/projects__benchmarks__healthsea_spancat__configs__spancat__config_tok2vec.cfg";
  if (!fs::exists(cfg_path)) GTEST_SKIP() << "not in the shared data: " << cfg_path;
  std::ifstream in(cfg_path);
  std::stringstream text;
  text << in.rdbuf();
  std::string cfg = text.str();
  RunResult probe = run_cli({"debug", "config", cfg_path});
  if (probe.out.find("spacy.Tok2Vec.v1") != std::string::npos ||
      probe.err.find("spacy.Tok2Vec.v1") != std::string::npos) {
    for (const char* name : {"Tok2Vec", "MaxoutWindowEncoder"})
      cfg = std::regex_replace(cfg, std::regex(std::string("spacy\\.") + name + "\\.v1"),
                               std::string("spacy.") + name + ".v2");
  }
  std::ofstream(path("healthsea.cfg")) << cfg;
  const std::string data = wnut_sample(80, "health_aspects", "health");
  RunResult r = run_cli({"train", path("healthsea.cfg"), "--output", path("out"), "--paths.train", data,
                         "--paths.dev", data, "--training.max_steps", "4", "--training.eval_frequency", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("SPANS_HEAL"), std::string::npos) << r.out;  // spans_health_aspects_*
  ASSERT_TRUE(fs::exists(path("out/model-best/spancat/model")));
  r = run_cli({"evaluate", path("out/model-best"), data, "--output", path("scores.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  std::ifstream scores_in(path("scores.json"));
  nlohmann::json scores = nlohmann::json::parse(scores_in);
  EXPECT_TRUE(scores.contains("spans_health_aspects_f"));
}
