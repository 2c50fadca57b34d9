// trfpipe init fill-config BASE OUT — spaCy's `init fill-config`: spaCy's default sections,
// factory defaults and registry defaults filled into a partial config.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/args.hpp"
#include "cli/code_option.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/registry.hpp"
#include "trfpipe/training.hpp"

namespace fs = std::filesystem;

namespace trfpipe::cli {
namespace {

const char* kUsage =
    "Usage: trfpipe init fill-config BASE OUTPUT [--code/-c PLUGIN.so]\n"
    "OUTPUT '-' writes to stdout.\n";

int run_fill_config(const std::vector<std::string>& argv) {
  if (print_usage_on_help(argv, kUsage)) return 0;
  Args args(argv, {code_option(), {"--diff", "-D", true, "ignored"}});
  const std::string base = args.positional(0, "BASE");
  const std::string out = args.positional().size() > 1 ? args.positional()[1] : "-";
  load_code(args);
  if (!fs::exists(base)) {
    return fail("Config file not found", base);
  }
  Json raw = load_config_file(base, {}, /*interpolate=*/false);
  Json filled;
  try {
    filled = fill_config(raw);
  } catch (const ConfigError& e) {
    return fail("Config validation error", base + ": " + e.what());
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

}  // namespace

TRFPIPE_COMMAND("init fill-config", "Fill defaults into a partial config (spacy init fill-config)",
                run_fill_config);

}  // namespace trfpipe::cli
