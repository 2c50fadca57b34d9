// trfpipe debug config CONFIG [--show-functions] [--section.key value ...] — validates a training
// config (auto-filled, interpolated, pipeline built, [training] resolved) and prints it.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli/code_option.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/spacy_args.hpp"
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

struct DebugConfigArgs {
  std::string path;
  bool show_functions = false, show_variables = false;
  std::optional<std::string> code;
  ConfigOverrides overrides;
};

int run_debug_config(const DebugConfigArgs& args) {
  const std::string& path = args.path;
  load_code(args.code);
  if (config_file_missing(path)) {
    return fail("Config file not found", path);
  }
  Json config;
  try {
    Json raw = load_config_file(path, args.overrides, /*interpolate=*/false);
    config = interpolate(fill_config(raw));
    validate_training_config(config);  // what `train` checks, no more and no less
  } catch (const ConfigError& e) {
    return fail("Config validation error", config_file_name(path) + ": " + e.what());
  }
  std::cout << write_cfg(config) << "\n";
  if (args.show_functions) {
    std::cout << "\u2139 Registered functions used\n";
    list_functions(config, "");
  }
  std::cout << "\u2139 Config: " << config_file_name(path) << "\n\u2714 Config is valid\n";
  return 0;
}

CommandRunner debug_config_command(CLI::App& app) {
  auto args = std::make_shared<DebugConfigArgs>();
  app.add_option("CONFIG", args->path, "the training config")->required();
  app.add_flag("-F,--show-functions", args->show_functions, "list the registered functions used");
  app.add_flag("-V,--show-variables", args->show_variables, "ignored (spaCy's option)");
  add_code_option(app, args->code);
  add_config_overrides(app, args->overrides);
  return [args] { return run_debug_config(*args); };
}

}  // namespace

TRFPIPE_COMMAND("debug config", "Validate and show a training config (spacy debug config)",
                debug_config_command);

}  // namespace trfpipe::cli
