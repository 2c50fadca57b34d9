// trfpipe init fill-config BASE OUT — spaCy's `init fill-config`: spaCy's default sections,
// factory defaults and registry defaults filled into a partial config.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

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

struct FillConfigArgs {
  std::string base, out = "-";
  std::optional<std::string> code;
  bool diff = false;
};

int run_fill_config(const FillConfigArgs& args) {
  const std::string& base = args.base;
  const std::string& out = args.out;
  load_code(args.code);
  if (config_file_missing(base)) {
    return fail("Config file not found", base);
  }
  Json raw = load_config_file(base, {}, /*interpolate=*/false);
  Json filled;
  try {
    filled = fill_config(raw);
    // spaCy's fill_config loads the filled config once more with validation: the language and
    // every component must be buildable.
    Language::from_config(interpolate(filled));
  } catch (const ConfigError& e) {
    return fail("Config validation error", config_file_name(base) + ": " + e.what());
  }
  std::string text = write_cfg(filled);
  if (out == "-") {
    std::cout << text;
    return 0;
  }
  std::ofstream f(out);
  if (!f) {
    return fail("Can't write the config", out);
  }
  f << text;
  std::cout << "\u2714 Auto-filled config with all values\n\u2714 Saved config\n" << out << "\n";
  return 0;
}

CommandRunner fill_config_command(CLI::App& app) {
  auto args = std::make_shared<FillConfigArgs>();
  app.add_option("BASE", args->base, "the partial config")->required();
  app.add_option("OUTPUT", args->out, "the filled config to write ('-' = stdout)");
  add_code_option(app, args->code);
  app.add_flag("-D,--diff", args->diff, "ignored (spaCy's option)");
  return [args] { return run_fill_config(*args); };
}

}  // namespace

TRFPIPE_COMMAND("init fill-config", "Fill defaults into a partial config (spacy init fill-config)",
                fill_config_command);

}  // namespace trfpipe::cli
