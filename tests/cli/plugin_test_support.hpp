// Shared by the CLI tests of --code and of the example plugin (code_option_test.cpp,
// keyword_matcher_plugin_test.cpp): a temporary folder and the in-tree build of
// examples/custom_component (tests/custom_component.cmake).
#pragma once
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#if !defined(TRFPIPE_EXAMPLE_PLUGIN) || !defined(TRFPIPE_EXAMPLE_PLUGIN_DIR)
#error "needs TRFPIPE_EXAMPLE_PLUGIN and TRFPIPE_EXAMPLE_PLUGIN_DIR (tests/custom_component.cmake)"
#endif

namespace trfpipe::testing {

inline const std::string kExamplePlugin = TRFPIPE_EXAMPLE_PLUGIN;         // libmy_components.so
inline const std::string kExamplePluginDir = TRFPIPE_EXAMPLE_PLUGIN_DIR;  // its sources, config

// A fresh folder under the system temp dir, removed with everything in it at the end.
struct PluginTempDir {
  std::filesystem::path path;
  PluginTempDir() {
    static int n = 0;
    path = std::filesystem::temp_directory_path() /
           ("trfpipe_plugin_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~PluginTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  PluginTempDir(const PluginTempDir&) = delete;
  PluginTempDir& operator=(const PluginTempDir&) = delete;
  // Writes `content` to the file `name` in the folder; returns its path.
  std::string file(const std::string& name, const std::string& content) const {
    std::ofstream(path / name, std::ios::binary) << content;
    return (path / name).string();
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// A pipeline config with one keyword_matcher component named "keywords"; `settings` are more
// lines of its block.
inline std::string keyword_matcher_config(const std::string& settings) {
  return "[nlp]\nlang = \"en\"\npipeline = [\"keywords\"]\n\n[components]\n\n"
         "[components.keywords]\nfactory = \"keyword_matcher\"\n" + settings;
}

}  // namespace trfpipe::testing
