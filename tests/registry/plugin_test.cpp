#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "registry/fixtures.hpp"

using namespace trfpipe;
using namespace trfpipe::registry;
using trfpipe::registry::testing::config_error;

namespace {

std::string load_error(const std::string& path) {
  try {
    load_plugin(path);
  } catch (const ConfigError& e) {
    return std::string("unexpected ConfigError: ") + e.what();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(LoadPlugin, RegistersItsArchitectureAndResolvesIt) {
  load_plugin(TRFPIPE_TEST_PLUGIN);
  ASSERT_TRUE(get("architectures").has("plugin.Doubler.v1"));
  EXPECT_EQ(get("architectures").get("plugin.Doubler.v1").returns, "Model");
  Value v = resolve(Json::parse(R"({"model": {"@architectures": "plugin.Doubler.v1", "width": 21}})"));
  auto made = v.at("model").as<std::pair<std::string, int64_t>>();
  EXPECT_EQ(made.first, "doubler");
  EXPECT_EQ(made.second, 42);
  ConfigError e = config_error(
      [] { resolve(Json::parse(R"({"model": {"@architectures": "plugin.Doubler.v1", "widht": 21}})")); });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"model", "widht"}));
}

TEST(LoadPlugin, LoadingTwiceIsHarmless) {
  load_plugin(TRFPIPE_TEST_PLUGIN);
  load_plugin(TRFPIPE_TEST_PLUGIN);
  EXPECT_TRUE(get("architectures").has("plugin.Doubler.v1"));
}

TEST(LoadPlugin, MissingFileIsAClearError) {
  std::string what = load_error(std::string(TRFPIPE_BINARY_DIR) + "/no_such_plugin.so");
  EXPECT_TRUE(contains(what, "no_such_plugin.so' not found")) << what;
  EXPECT_TRUE(contains(load_error(""), "not found"));
}

TEST(LoadPlugin, DirectoryIsAClearError) {
  std::string what = load_error(TRFPIPE_BINARY_DIR);
  EXPECT_TRUE(contains(what, "not a regular file")) << what;
}

TEST(LoadPlugin, NonSharedObjectReportsTheLoaderMessage) {
  std::string path = ::testing::TempDir() + "/trfpipe_not_a_plugin.so";
  {
    std::ofstream out(path);
    out << "this is text, not ELF\n";
  }
  std::string what = load_error(path);
  std::remove(path.c_str());
  EXPECT_TRUE(contains(what, "can't load plugin '" + path + "'")) << what;
  EXPECT_TRUE(contains(what, "trfpipe_not_a_plugin.so:")) << what;  // dlerror's text names the file
}

TEST(LoadPlugin, MissingEntryPointIsAClearError) {
  std::string what = load_error(TRFPIPE_TEST_PLUGIN_NO_ENTRY);
  EXPECT_TRUE(contains(what, "has no function trfpipe_register_plugin")) << what;
  EXPECT_TRUE(contains(what, "extern \"C\"")) << what;
}

TEST(LoadPlugin, ThrowingEntryPointIsReported) {
  std::string what = load_error(TRFPIPE_TEST_PLUGIN_THROWING);
  EXPECT_TRUE(contains(what, "trfpipe_register_plugin failed: registration refused")) << what;
}

TEST(LoadPlugin, BareFileNameIsLookedUpInTheCurrentDirectory) {
  std::string full = TRFPIPE_TEST_PLUGIN;
  size_t slash = full.rfind('/');
  ASSERT_NE(slash, std::string::npos);
  char old_dir[4096];
  ASSERT_NE(getcwd(old_dir, sizeof old_dir), nullptr);
  ASSERT_EQ(chdir(full.substr(0, slash).c_str()), 0);
  std::string what = load_error(full.substr(slash + 1));
  ASSERT_EQ(chdir(old_dir), 0);
  EXPECT_EQ(what, "no error");
}
