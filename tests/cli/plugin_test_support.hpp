// Shared by the CLI tests of --code and of the example plugin (code_option_test.cpp,
// keyword_matcher_plugin_test.cpp): the in-tree build of examples/custom_component
// (tests/custom_component.cmake) and a config using it; temporary folders are common/temp_dir.hpp's.
#pragma once
#include <string>

#include "common/temp_dir.hpp"

#if !defined(TRFPIPE_EXAMPLE_PLUGIN) || !defined(TRFPIPE_EXAMPLE_PLUGIN_DIR)
#error "needs TRFPIPE_EXAMPLE_PLUGIN and TRFPIPE_EXAMPLE_PLUGIN_DIR (tests/custom_component.cmake)"
#endif

namespace trfpipe::testing {

inline const std::string kExamplePlugin = TRFPIPE_EXAMPLE_PLUGIN;         // libmy_components.so
inline const std::string kExamplePluginDir = TRFPIPE_EXAMPLE_PLUGIN_DIR;  // its sources, config

// A pipeline config with one keyword_matcher component named "keywords"; `settings` are more
// lines of its block.
inline std::string keyword_matcher_config(const std::string& settings) {
  return "[nlp]\nlang = \"en\"\npipeline = [\"keywords\"]\n\n[components]\n\n"
         "[components.keywords]\nfactory = \"keyword_matcher\"\n" + settings;
}

}  // namespace trfpipe::testing
