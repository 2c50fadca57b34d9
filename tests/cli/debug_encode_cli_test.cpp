// `trfpipe debug encode` run as a process over every Hugging Face parity fixture
// (tests/models/fixtures/NAME: config.json + weights, inputs.json, expected.safetensors made by
// transformers), compared as HFParity compares the in-process encoder; then its errors.
// TRFPIPE_EXTRA_PARITY_FIXTURES (folders separated by ':') adds more fixture roots.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "common/temp_dir.hpp"
#include "models/hf_parity.hpp"
#include "models/safetensors.hpp"
#include "tests/cli/run_cli.hpp"

namespace fs = std::filesystem;
using trfpipe::testing::run_cli;
using trfpipe::testing::TempDir;

namespace {

std::vector<fs::path> fixture_dirs() {
  std::vector<fs::path> roots = {fs::path(TRFPIPE_SOURCE_DIR) / "tests/models/fixtures"};
  if (const char* extra = std::getenv("TRFPIPE_EXTRA_PARITY_FIXTURES")) {
    std::stringstream ss(extra);
    std::string r;
    while (std::getline(ss, r, ':'))
      if (!r.empty()) roots.emplace_back(r);
  }
  std::vector<fs::path> dirs;
  for (const auto& root : roots)
    if (fs::is_directory(root))
      for (const auto& e : fs::directory_iterator(root))
        if (e.is_directory() && fs::exists(e.path() / "config.json") && fs::exists(e.path() / "expected.safetensors"))
          dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(DebugEncodeCli, EveryFixtureMatchesHuggingFace) {
  auto dirs = fixture_dirs();
  ASSERT_GE(dirs.size(), 14u) << "the committed fixtures (bert … gpt2, xlnet*)";
  TempDir tmp("trfpipe_debug_encode_");
  std::set<std::string> types;
  for (const auto& dir : dirs) {
    SCOPED_TRACE(dir.string());
    const std::string out = tmp / (dir.filename().string() + ".safetensors");
    auto r = run_cli({"debug", "encode", dir.string(), (dir / "inputs.json").string(), out, "--all"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    auto got = trfpipe::models::read_safetensors(out);
    auto expected = trfpipe::models::read_safetensors((dir / "expected.safetensors").string()).tensors;
    for (const auto& [name, t] : got.tensors) {
      EXPECT_EQ(t.scalar_type(), at::kFloat) << name;
      EXPECT_TRUE(expected.count(name)) << "not in HF's outputs: " << name;  // no pooler HF lacks
    }
    types.insert(got.metadata["model_type"]);
    auto in = nlohmann::ordered_json::parse(slurp(dir / "inputs.json"));
    const double worst = trfpipe::testing::expect_hf_parity(
        expected, got.tensors, trfpipe::testing::fixture_input(in, "input_ids"),
        trfpipe::testing::fixture_input(in, "attention_mask"));
    std::cout << "debug encode " << dir.filename().string() << ": max |diff| " << worst << "\n";
    // Without --all (no attentions asked for) the BERT-layer encoders run packed tokens and
    // blocked attention (models/attention.hpp): their final outputs match HF's the same way.
    static const std::set<std::string> packing = {"bert", "roberta", "xlm-roberta", "camembert", "electra", "albert"};
    if (!packing.count(got.metadata["model_type"])) continue;
    const std::string final_out = tmp / (dir.filename().string() + ".final.safetensors");
    auto r2 = run_cli({"debug", "encode", dir.string(), (dir / "inputs.json").string(), final_out});
    ASSERT_EQ(r2.exit_code, 0) << r2.out << r2.err;
    std::map<std::string, at::Tensor> final_expected;
    for (const char* k : {"last_hidden_state", "pooler_output"})
      if (expected.count(k) && got.tensors.count(k)) final_expected[k] = expected[k];
    const double worst_final = trfpipe::testing::expect_hf_parity(
        final_expected, trfpipe::models::read_safetensors(final_out).tensors,
        trfpipe::testing::fixture_input(in, "input_ids"), trfpipe::testing::fixture_input(in, "attention_mask"));
    std::cout << "debug encode " << dir.filename().string() << " (packed): max |diff| " << worst_final << "\n";
  }
  for (const char* t : {"bert", "roberta", "xlm-roberta", "camembert", "distilbert", "albert", "electra", "gpt2", "xlnet"})
    EXPECT_TRUE(types.count(t)) << t;
}

TEST(DebugEncodeCli, WithoutAllWritesOnlyTheFinalOutputs) {
  TempDir tmp("trfpipe_debug_encode_");
  const fs::path bert = fs::path(TRFPIPE_SOURCE_DIR) / "tests/models/fixtures/bert";
  auto r = run_cli({"debug", "encode", bert.string(), (bert / "inputs.json").string(), tmp / "o.safetensors"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto got = trfpipe::models::read_safetensors(tmp / "o.safetensors").tensors;
  std::vector<std::string> names;
  for (const auto& [k, t] : got) names.push_back(k);
  EXPECT_EQ(names, (std::vector<std::string>{"last_hidden_state", "pooler_output"}));
  EXPECT_EQ(got["last_hidden_state"].sizes(), (at::IntArrayRef{2, 9, 32}));
}

TEST(DebugEncodeCli, BadInputsAreErrorsNamingTheFileAndKey) {
  TempDir tmp("trfpipe_debug_encode_");
  const std::string bert = (fs::path(TRFPIPE_SOURCE_DIR) / "tests/models/fixtures/bert").string();
  struct Case {
    std::string json, expect;
  };
  std::vector<Case> cases = {
      {"{\"input_ids\": [[1, 2, 3], [4, 5]]}", "'input_ids': row 1 has 2 values"},
      {"{\"input_ids\": [[1, 2, 3]], \"attention_mask\": [[1, 1]]}", "'attention_mask': shape [1, 2]"},
      {"{\"input_ids\": [[1, \"a\"]]}", "'input_ids': row 0 holds \"a\""},
      {"{\"input_ids\": [[1, 2]], \"mask\": [[1, 1]]}", "unknown key 'mask'"},
      {"{\"attention_mask\": [[1]]}", "missing 'input_ids'"},
      {"{\"input_ids\": [[1, 2, 500]]}", "outside the vocabulary"},
      {"[1, 2", "invalid JSON"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string in = tmp.file("in" + std::to_string(i) + ".json", cases[i].json);
    auto r = run_cli({"debug", "encode", bert, in, tmp / "o.safetensors"});
    EXPECT_EQ(r.exit_code, 1) << cases[i].json;
    EXPECT_NE(r.err.find(in), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(cases[i].expect), std::string::npos) << r.err;
  }
  const std::string ok = tmp.file("ok.json", "{\"input_ids\": [[1, 2]]}");
  auto r = run_cli({"debug", "encode", (tmp.path / "nope").string(), ok, tmp / "o.safetensors"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("nope"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "o.safetensors"));
}
