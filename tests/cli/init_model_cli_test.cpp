// `trfpipe init model` run as a process: every architecture, then bad arguments.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "run_cli.hpp"
#include "common/temp_dir.hpp"

namespace fs = std::filesystem;
using trfpipe::testing::TempDir;

namespace {

struct InitModelResult {
  int rc = -1;
  std::string out;  // stdout and stderr together
};

InitModelResult run_init_model(std::vector<std::string> args) {
  args.insert(args.begin(), {"init", "model"});
  trfpipe::testing::RunResult r = trfpipe::testing::run_cli(args);
  return {r.exit_code, r.out + r.err};
}

std::string tokenizer(const std::string& name) {
  return std::string(TRFPIPE_SHARED_DIR) + "/data/tokenizers/" + name;
}

}  // namespace

TEST(InitModelCli, WritesEveryArchitecture) {
  struct Case { std::string arch, tok, file; int64_t vocab; };
  std::vector<Case> cases = {{"bert", "bert-base-uncased-vocab.txt", "vocab.txt", 30522},
                             {"roberta", "gpt2-encoder.json", "merges.txt", 50262},
                             {"distilbert", "bert-base-uncased-vocab.txt", "vocab.txt", 30522},
                             {"albert", "albert-30k-clean.model", "spiece.model", 30000},
                             {"electra", "bert-base-uncased-vocab.txt", "vocab.txt", 30522},
                             {"gpt2", "gpt2-encoder.json", "vocab.json", 50257}};
  TempDir tmp;  // init model creates the output folder inside it
  for (const auto& c : cases) {
    auto dir = tmp.path / c.arch;
    auto r = run_init_model({dir.string(), "--arch", c.arch, "--layers", "1", "--width", "16", "--heads",
                             "2", "--tokenizer", tokenizer(c.tok), "--seed", "3", "--max-length", "128"});
    ASSERT_EQ(r.rc, 0) << c.arch << ": " << r.out;
    for (const char* f : {"config.json", "model.safetensors", "tokenizer_config.json"})
      EXPECT_TRUE(fs::exists(dir / f)) << c.arch << " " << f;
    EXPECT_TRUE(fs::exists(dir / c.file)) << c.arch;
    std::ifstream in(dir / "config.json");
    auto cfg = nlohmann::json::parse(in);
    EXPECT_EQ(cfg["model_type"], c.arch);
    EXPECT_EQ(cfg["vocab_size"], c.vocab) << c.arch;
    EXPECT_TRUE(cfg["architectures"].is_array());
    EXPECT_GT(fs::file_size(dir / "model.safetensors"), static_cast<uintmax_t>(c.vocab * 4));
    fs::remove_all(dir);
  }
}

TEST(InitModelCli, BadArchIsClearError) {
  TempDir tmp;  // init model creates the output folder inside it
  auto dir = tmp.path / "bad";
  auto r = run_init_model({dir.string(), "--arch", "t5", "--tokenizer", tokenizer("bert-base-uncased-vocab.txt")});
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.out.find("unknown architecture 't5'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("gpt2"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir / "config.json"));
}

TEST(InitModelCli, MissingOrBadOptionsAreErrors) {
  TempDir tmp;  // init model creates the output folder inside it
  auto dir = tmp.path / "opts";
  auto tok = tokenizer("bert-base-uncased-vocab.txt");
  auto r = run_init_model({dir.string(), "--tokenizer", tok});
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.out.find("--arch"), std::string::npos) << r.out;
  r = run_init_model({dir.string(), "--arch", "bert"});
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.out.find("--tokenizer"), std::string::npos) << r.out;
  r = run_init_model({dir.string(), "--arch", "bert", "--tokenizer", tok, "--layers", "two"});
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.out.find("--layers"), std::string::npos) << r.out;
  r = run_init_model({dir.string(), "--arch", "bert", "--tokenizer", tok, "--width", "15", "--heads", "2"});
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.out.find("not a multiple"), std::string::npos) << r.out;
  r = run_init_model({dir.string(), "--arch", "albert", "--tokenizer", tok});
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.out.find("does not fit albert"), std::string::npos) << r.out;
  r = run_init_model({"--arch", "bert", "--tokenizer", tok});
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.out.find("OUT"), std::string::npos) << r.out;
}
