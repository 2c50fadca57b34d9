// trfpipe debug config CONFIG [--show-functions] [--section.key value ...] — validates a training
// config (auto-filled, interpolated, pipeline built, [training] resolved) and prints it.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli/args.hpp"
#include "cli/code_option.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/registry.hpp"
#include "trfpipe/training.hpp"

namespace fs = std::filesystem;

namespace trfpipe::cli {
namespace {

void list_functions(const Json& node, const std::string& path) {
  if (!node.is_object()) return;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it.key().empty() && it.key()[0] == '@' && it.value().is_string()) {
      std::string reg = it.key().substr(1);
      std::string name = it.value().get<std::string>();
      std::string returns;
      try {
        returns = registry::get(reg).get(name).returns;
      } catch (const Error&) {
        returns = "(not registered)";
      }
      std::cout << "[" << path << "]  @" << reg << " = " << name
                << (returns.empty() ? "" : "  -> " + returns) << "\n";
    }
  }
  for (auto it = node.begin(); it != node.end(); ++it)
    if (it.value().is_object()) list_functions(it.value(), path.empty() ? it.key() : path + "." + it.key());
}

const char* kUsage =
    "Usage: trfpipe debug config CONFIG [--show-functions/-F] [--code/-c PLUGIN.so]\n"
    "  [--section.key value ...]\n";

int run_debug_config(const std::vector<std::string>& argv) {
  if (print_usage_on_help(argv, kUsage)) return 0;
  Args args(argv, {{"--show-functions", "-F", true, "list the registered functions used"},
                   {"--show-variables", "-V", true, "ignored"},
                   code_option()},
            /*allow_overrides=*/true);
  const std::string path = args.positional(0, "CONFIG");
  load_code(args);
  if (!fs::exists(path)) {
    return fail("Config file not found", path);
  }
  Json config;
  try {
    Json raw = load_config_file(path, args.overrides(), /*interpolate=*/false);
    config = interpolate(fill_config(raw));
    validate_training_config(config);  // what `train` checks, no more and no less
  } catch (const ConfigError& e) {
    return fail("Config validation error", path + ": " + e.what());
  }
  std::cout << write_cfg(config) << "\n";
  if (args.flag("--show-functions")) {
    std::cout << "\u2139 Registered functions used\n";
    list_functions(config, "");
  }
  std::cout << "\u2139 Config: " << path << "\n\u2714 Config is valid\n";
  return 0;
}

}  // namespace

TRFPIPE_COMMAND("debug config", "Validate and show a training config (spacy debug config)",
                run_debug_config);

}  // namespace trfpipe::cli
