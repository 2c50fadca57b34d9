// Every config under examples/ passes `trfpipe debug config` (which validates what `train`
// validates) with the paths its README gives on the command line: a committed example that `train`
// rejects is a broken promise to the user who copies it.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/temp_dir.hpp"
#include "run_cli.hpp"
#include "sample_data.hpp"

namespace fs = std::filesystem;
using trfpipe::testing::RunResult;
using trfpipe::testing::run_cli;
using trfpipe::testing::TempDir;

TEST(ExampleConfigs, EveryExampleConfigIsValid) {
  TempDir tmp;
  const std::string data = trfpipe::testing::ud_sample_with_ents(tmp, 10);
  const std::string model = (tmp.path / "tinybert").string();
  RunResult r = run_cli({"init", "model", model, "--arch", "bert", "--tokenizer",
                         std::string(TRFPIPE_SHARED_DIR) + "/data/tokenizers/bert-base-uncased-vocab.txt",
                         "--layers", "1", "--width", "32", "--heads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<fs::path> configs;
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(TRFPIPE_SOURCE_DIR) / "examples"))
    if (entry.path().extension() == ".cfg") configs.push_back(entry.path());
  ASSERT_GE(configs.size(), 10u);
  for (const fs::path& cfg : configs) {
    // custom_component's factory lives in its plugin, built and checked by custom_component_test.sh.
    if (cfg.parent_path().filename() == "custom_component") continue;
    r = run_cli({"debug", "config", cfg.string(), "--paths.train", data, "--paths.dev", data,
                 "--paths.transformer", model});
    EXPECT_EQ(r.exit_code, 0) << cfg << "\n" << r.out << r.err;
    EXPECT_NE(r.out.find("Config is valid"), std::string::npos) << cfg << "\n" << r.out << r.err;
  }
}
