// Conformance with confection 0.0.4 on every .cfg in ../shared/data/configs: the interpolated tree
// (values, JSON types, key order) must equal expected/NAME.json's "interpolated", an expected error
// must be a ConfigError; the raw form must match confection's raw form too; every positive config
// must survive .cfg and TOML round trips.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/json_compare.hpp"
#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"

namespace fs = std::filesystem;
using trfpipe::ConfigError;
using trfpipe::Json;
using trfpipe::testing::strict_diff;

namespace {

const fs::path kConfigDir = fs::path(TRFPIPE_SHARED_DIR) / "data" / "configs";

std::vector<std::string> config_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kConfigDir, ec)) {
    if (entry.path().extension() == ".cfg") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool is_error(const Json& j) { return j.is_object() && j.contains("__error__"); }

class Conformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    cfg_path_ = (kConfigDir / (GetParam() + ".cfg")).string();
    text_ = read_text(cfg_path_);
    fs::path expected_path = kConfigDir / "expected" / (GetParam() + ".json");
    ASSERT_TRUE(fs::exists(expected_path)) << expected_path;
    // The expected files are read by a standard JSON parser, keeping order.
    expected_ = Json::parse(read_text(expected_path));
    ASSERT_TRUE(expected_.contains("raw") && expected_.contains("interpolated"));
  }
  std::string cfg_path_;
  std::string text_;
  Json expected_;
};

TEST(ConformanceSuite, FindsTheSharedConfigs) {
  // Guards against a silently empty suite (wrong TRFPIPE_SHARED_DIR).
  EXPECT_GE(config_names().size(), 30u) << kConfigDir;
}

TEST_P(Conformance, InterpolatedTreeMatchesConfection) {
  const Json& want = expected_["interpolated"];
  if (is_error(want)) {
    EXPECT_THROW(trfpipe::load_config(text_, {}, true, cfg_path_), ConfigError)
        << "confection: " << want["__error__"] << " " << want["message"];
    return;
  }
  Json got = trfpipe::load_config(text_, {}, true, cfg_path_);
  EXPECT_EQ(strict_diff(got, want), "");
}

TEST_P(Conformance, RawTreeMatchesConfection) {
  const Json& want = expected_["raw"];
  if (is_error(want)) {
    try {
      trfpipe::parse_cfg(text_, cfg_path_);
      ADD_FAILURE() << "expected a ConfigError like confection's " << want["__error__"];
    } catch (const ConfigError& e) {
      // Parse errors name the file (and the line where there is one).
      EXPECT_NE(std::string(e.what()).find(cfg_path_), std::string::npos) << e.what();
    }
    return;
  }
  Json got = trfpipe::parse_cfg(text_, cfg_path_);
  EXPECT_EQ(strict_diff(got, want), "");
}

TEST_P(Conformance, InterpolateOfRawMatchesDirectInterpolation) {
  if (is_error(expected_["raw"])) GTEST_SKIP() << "raw parse fails as in confection";
  Json raw = trfpipe::parse_cfg(text_, cfg_path_);
  const Json& want = expected_["interpolated"];
  if (is_error(want)) {
    EXPECT_THROW(trfpipe::interpolate(raw), ConfigError);
    return;
  }
  EXPECT_EQ(strict_diff(trfpipe::interpolate(raw), want), "");
}

TEST_P(Conformance, LoadConfigFileMatches) {
  const Json& want = expected_["interpolated"];
  if (is_error(want)) {
    EXPECT_THROW(trfpipe::load_config_file(cfg_path_), ConfigError);
    return;
  }
  EXPECT_EQ(strict_diff(trfpipe::load_config_file(cfg_path_), want), "");
}

TEST_P(Conformance, CfgRoundTripKeepsRawAndInterpolatedTrees) {
  if (is_error(expected_["raw"])) GTEST_SKIP() << "negative config";
  Json raw = trfpipe::parse_cfg(text_, cfg_path_);
  std::string written = trfpipe::write_cfg(raw);
  EXPECT_EQ(strict_diff(trfpipe::parse_cfg(written), raw), "") << written;
  if (is_error(expected_["interpolated"])) return;
  Json interp = trfpipe::load_config(text_);
  std::string written2 = trfpipe::write_cfg(interp);
  EXPECT_EQ(strict_diff(trfpipe::parse_cfg(written2), interp), "") << written2;
  // Writing again gives the same text (the writer is stable).
  EXPECT_EQ(trfpipe::write_cfg(trfpipe::parse_cfg(written)), written);
}

TEST_P(Conformance, TomlRoundTripKeepsRawAndInterpolatedTrees) {
  if (is_error(expected_["raw"])) GTEST_SKIP() << "negative config";
  Json raw = trfpipe::parse_cfg(text_, cfg_path_);
  std::string toml = trfpipe::write_toml(raw);
  EXPECT_EQ(strict_diff(trfpipe::parse_toml(toml), raw), "") << toml;
  if (is_error(expected_["interpolated"])) return;
  Json interp = trfpipe::load_config(text_);
  std::string toml2 = trfpipe::write_toml(interp);
  EXPECT_EQ(strict_diff(trfpipe::parse_toml(toml2), interp), "") << toml2;
  // The TOML form interpolates to the same tree as the .cfg.
  EXPECT_EQ(strict_diff(trfpipe::interpolate(trfpipe::parse_toml(toml)), interp), "");
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(SharedConfigs, Conformance, ::testing::ValuesIn(config_names()), test_name);

}  // namespace
