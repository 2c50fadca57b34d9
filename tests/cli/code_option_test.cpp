// `--code/-c` (cli/code_option.hpp) as the commands that build or load pipelines take it: plugin
// paths, comma-separated lists, and the errors for a missing or unloadable plugin. The plugin is
// examples/custom_component built in-tree (tests/custom_component.cmake).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "plugin_test_support.hpp"
#include "run_cli.hpp"

namespace fs = std::filesystem;
using trfpipe::testing::kExamplePlugin;
using trfpipe::testing::TempDir;
using trfpipe::testing::run_cli;

namespace {

const std::string& kPlugin = kExamplePlugin;

// The command line of `command` writing to `out`, given the files of `tmp`.
std::vector<std::string> command_line(const std::string& command, const TempDir& tmp,
                                      const std::string& out) {
  if (command == "assemble") return {"assemble", tmp / "config.cfg", out};
  // --pipe keyword_matcher: the plugin's factory must be registered by then.
  return {"apply", "blank:en", tmp / "in.jsonl", out, "--pipe", "keyword_matcher"};
}

class CodeOptionCommand : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    // Its only component comes from the plugin.
    tmp_.file("config.cfg", trfpipe::testing::keyword_matcher_config(
                                "patterns = [{\"label\": \"ORG\", \"phrase\": \"Acme\"}]\n"));
    tmp_.file("in.jsonl", "{\"text\": \"Acme is here.\"}\n");
  }
  std::vector<std::string> with(std::vector<std::string> args,
                                const std::vector<std::string>& more) const {
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }
  std::string out() const { return tmp_ / (GetParam() == "assemble" ? "pipe" : "out.jsonl"); }
  TempDir tmp_;
};

}  // namespace

TEST_P(CodeOptionCommand, LoadsThePlugin) {
  auto r = run_cli(with(command_line(GetParam(), tmp_, out()), {"--code", kPlugin}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(out()));
}

TEST_P(CodeOptionCommand, ShortAliasLoadsThePlugin) {
  auto r = run_cli(with(command_line(GetParam(), tmp_, out()), {"-c", kPlugin}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(out()));
}

TEST_P(CodeOptionCommand, MissingPluginFailsNamingItAndWritesNothing) {
  const std::string missing = tmp_ / "no_such_plugin.so";
  auto r = run_cli(with(command_line(GetParam(), tmp_, out()), {"--code", missing}));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no_such_plugin.so"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not found"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out()));
}

TEST_P(CodeOptionCommand, FileThatIsNoSharedObjectFails) {
  const std::string bogus = tmp_.file("bogus.so", "not an ELF file\n");
  auto r = run_cli(with(command_line(GetParam(), tmp_, out()), {"--code", bogus}));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("bogus.so"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not a loadable shared object"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out()));
}

TEST_P(CodeOptionCommand, CommaSeparatedListLoadsEachPlugin) {
  // Loading the same plugin twice re-registers the same names; blanks around items are trimmed.
  auto r = run_cli(with(command_line(GetParam(), tmp_, out()), {"--code", kPlugin + " , " + kPlugin}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(out()));
}

TEST_P(CodeOptionCommand, BadItemInListIsNamedAlone) {
  const std::string missing = tmp_ / "second.so";
  auto r = run_cli(with(command_line(GetParam(), tmp_, out()), {"--code", kPlugin + "," + missing}));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("'" + missing + "' not found"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out()));
}

TEST_P(CodeOptionCommand, EmptyValueIsAnError) {
  auto r = run_cli(with(command_line(GetParam(), tmp_, out()), {"--code", ","}));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--code needs a plugin path"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out()));
}

TEST_P(CodeOptionCommand, OptionWithoutValueIsAnError) {
  auto r = run_cli(with(command_line(GetParam(), tmp_, out()), {"--code"}));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--code needs a value"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out()));
}

INSTANTIATE_TEST_SUITE_P(Commands, CodeOptionCommand, ::testing::Values("assemble", "apply"),
                         [](const auto& info) { return info.param; });

// The other commands that take --code (train, evaluate, debug config, debug data, init
// fill-config) load it first too: a bad item of the list stops them before they read data or
// write anything.
TEST(CodeOptionOtherCommands, BadPluginInListStopsBeforeWriting) {
  TempDir tmp;
  const std::string config = tmp.file("config.cfg", trfpipe::testing::keyword_matcher_config(""));
  const std::string missing = tmp / "absent.so";
  const std::string list = kPlugin + "," + missing;
  const std::vector<std::vector<std::string>> commands = {
      {"train", config, "--output", tmp / "out", "--code", list},
      {"evaluate", "blank:en", tmp / "dev.spacy", "--output", tmp / "out", "-c", list},
      {"debug", "config", config, "--code", list},
      {"debug", "data", config, "--code", list},
      {"init", "fill-config", config, tmp / "out", "--code", list},
  };
  for (const auto& args : commands) {
    auto r = run_cli(args);
    EXPECT_NE(r.exit_code, 0) << args[0] << " " << args[1];
    EXPECT_NE(r.err.find("'" + missing + "' not found"), std::string::npos)
        << args[0] << " " << args[1] << ": " << r.err;
    EXPECT_FALSE(fs::exists(tmp / "out")) << args[0] << " " << args[1];
  }
}

TEST(CodeOptionOtherCommands, InitFillConfigFillsThePluginFactoryDefaults) {
  TempDir tmp;
  const std::string config = tmp.file("config.cfg", trfpipe::testing::keyword_matcher_config(""));
  auto r = run_cli({"init", "fill-config", config, tmp / "filled.cfg", "--code", kPlugin});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(tmp / "filled.cfg");
  const std::string filled((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(filled.find("patterns_loader = null\noverwrite = false\nignore_case = true"),
            std::string::npos)
      << filled;

  auto without = run_cli({"init", "fill-config", config, tmp / "filled2.cfg"});
  EXPECT_NE(without.exit_code, 0);
  EXPECT_NE(without.err.find("Can't find factory 'keyword_matcher'"), std::string::npos) << without.err;
  EXPECT_FALSE(fs::exists(tmp / "filled2.cfg"));
}
