// `trfpipe config dump` / `trfpipe config convert`, run as a process.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/run_cli.hpp"
#include "common/temp_dir.hpp"
#include "config/json_compare.hpp"
#include "trfpipe/config.hpp"

namespace fs = std::filesystem;
using trfpipe::Json;
using trfpipe::testing::run_cli;
using trfpipe::testing::strict_diff;

namespace {

const fs::path kConfigs = fs::path(TRFPIPE_SHARED_DIR) / "data" / "configs";
const std::string kDefault = (kConfigs / "spaCy__spacy__default_config.cfg").string();
const std::string kTrf =
    (kConfigs / "projects__tutorials__textcat_goemotions__configs__bert.cfg").string();

Json expected_interpolated(const std::string& cfg_path) {
  fs::path p = kConfigs / "expected" / (fs::path(cfg_path).stem().string() + ".json");
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return Json::parse(ss.str())["interpolated"];
}

class ConfigCli : public ::testing::Test {
 protected:
  trfpipe::testing::TempDir tmp_{"trfpipe_config_cli_"};
  const fs::path dir_ = tmp_.path;
};

TEST_F(ConfigCli, DumpJsonEqualsConfectionsInterpolatedTree) {
  for (const std::string& cfg : {kDefault, kTrf}) {
    auto r = run_cli({"config", "dump", cfg});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(strict_diff(Json::parse(r.out), expected_interpolated(cfg)), "") << cfg;
    EXPECT_NE(r.out.find("\n  \""), std::string::npos) << "2-space indent expected";
  }
}

TEST_F(ConfigCli, OverridesChangeValues) {
  auto r = run_cli({"config", "dump", kDefault, "--paths.train", "corpus/t.spacy", "--training.max_steps=10",
                    "--training.dropout", "0.25"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["corpora"]["train"]["path"], "corpus/t.spacy");
  EXPECT_EQ(j["paths"]["train"], "corpus/t.spacy");
  EXPECT_TRUE(j["training"]["max_steps"].is_number_integer());
  EXPECT_EQ(j["training"]["max_steps"], 10);
  EXPECT_EQ(j["training"]["dropout"], 0.25);
}

TEST_F(ConfigCli, NoInterpolateKeepsReferences) {
  auto r = run_cli({"config", "dump", kDefault, "--no-interpolate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["corpora"]["train"]["path"], "${paths.train}");
}

TEST_F(ConfigCli, DumpAsCfgAndTomlReadsBackToTheSameTree) {
  for (const std::string& format : {"cfg", "toml"}) {
    auto r = run_cli({"config", "dump", kTrf, "--format", format});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    fs::path p = dir_ / ("out." + format);
    std::ofstream(p) << r.out;
    auto back = run_cli({"config", "dump", p.string(), "--no-interpolate"});
    ASSERT_EQ(back.exit_code, 0) << back.err;
    EXPECT_EQ(strict_diff(Json::parse(back.out), expected_interpolated(kTrf)), "") << format;
  }
}

TEST_F(ConfigCli, BadConfigExitsNonZeroNamingTheFile) {
  std::string bad = (kConfigs / "neg_duplicate_key.cfg").string();
  auto r = run_cli({"config", "dump", bad});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(bad), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("line 3"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST_F(ConfigCli, UndefinedReferenceNamesFileAndKeyPath) {
  std::string bad = (kConfigs / "neg_undefined_section_ref.cfg").string();
  auto r = run_cli({"config", "dump", bad});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(bad), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("paths -> train"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("missing.path"), std::string::npos) << r.err;
}

TEST_F(ConfigCli, MissingFileAndBadOverrideAndBadFormatFail) {
  std::string missing = (dir_ / "missing.cfg").string();
  auto a = run_cli({"config", "dump", missing});
  EXPECT_NE(a.exit_code, 0);
  EXPECT_NE(a.err.find(missing), std::string::npos) << a.err;
  auto b = run_cli({"config", "dump", kDefault, "--nosuch.section", "1"});
  EXPECT_NE(b.exit_code, 0);
  EXPECT_NE(b.err.find("nosuch.section"), std::string::npos) << b.err;
  auto c = run_cli({"config", "dump", kDefault, "--format", "yaml"});
  EXPECT_NE(c.exit_code, 0);
  EXPECT_NE(c.err.find("yaml"), std::string::npos) << c.err;
  auto d = run_cli({"config", "dump"});
  EXPECT_NE(d.exit_code, 0);
  EXPECT_NE(d.err.find("CONFIG"), std::string::npos) << d.err;
}

TEST_F(ConfigCli, ConvertCfgToTomlAndBackRoundTrips) {
  std::string toml = (dir_ / "c.toml").string();
  std::string cfg = (dir_ / "back.cfg").string();
  auto r1 = run_cli({"config", "convert", kTrf, toml});
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  auto r2 = run_cli({"config", "convert", toml, cfg});
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  auto raw_orig = run_cli({"config", "dump", kTrf, "--no-interpolate"});
  auto raw_back = run_cli({"config", "dump", cfg, "--no-interpolate"});
  ASSERT_EQ(raw_back.exit_code, 0) << raw_back.err;
  EXPECT_EQ(strict_diff(Json::parse(raw_back.out), Json::parse(raw_orig.out)), "");
  auto interp_back = run_cli({"config", "dump", cfg});
  ASSERT_EQ(interp_back.exit_code, 0) << interp_back.err;
  EXPECT_EQ(strict_diff(Json::parse(interp_back.out), expected_interpolated(kTrf)), "");
}

TEST_F(ConfigCli, ConvertFailsOnUnwritableOutput) {
  auto r = run_cli({"config", "convert", kDefault, (dir_ / "no" / "such" / "dir.toml").string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("dir.toml"), std::string::npos) << r.err;
}

}  // namespace
