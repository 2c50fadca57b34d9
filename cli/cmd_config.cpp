// `trfpipe config dump` and `trfpipe config convert`: show a config as JSON, .cfg or TOML (with
// spaCy-style `--section.key value` overrides), and convert between .cfg and .toml.
#include <fstream>
#include <iostream>

#include "cli/args.hpp"
#include "cli/command.hpp"
#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::cli {
namespace {

bool has_toml_extension(const std::string& path) {
  std::string lower = path;
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return lower.size() >= 5 && lower.compare(lower.size() - 5, 5, ".toml") == 0;
}

int config_dump(const std::vector<std::string>& argv) {
  Args args(argv,
            {{"--format", "-f", false, "json (default), cfg or toml"},
             {"--no-interpolate", "", true, "show ${...} references unresolved"}},
            /*allow_overrides=*/true);
  const std::string& path = args.positional(0, "CONFIG");
  if (args.positional().size() > 1) throw ValueError("config dump takes one CONFIG, got extra argument '" + args.positional()[1] + "'");
  std::string format = args.get_or("--format", "json");
  if (format != "json" && format != "cfg" && format != "toml") {
    throw ValueError("unknown --format '" + format + "' (expected json, cfg or toml)");
  }
  Json tree = load_config_file(path, args.overrides(), !args.flag("--no-interpolate"));
  if (format == "json") {
    std::cout << tree.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
  } else if (format == "cfg") {
    std::cout << write_cfg(tree) << "\n";
  } else {
    std::cout << write_toml(tree);
  }
  return 0;
}

int config_convert(const std::vector<std::string>& argv) {
  Args args(argv, {});
  const std::string& input = args.positional(0, "INPUT");
  const std::string& output = args.positional(1, "OUTPUT");
  if (args.positional().size() > 2) throw ValueError("config convert takes INPUT and OUTPUT only");
  // The raw tree: references stay references, so the converted file means the same.
  Json tree = load_config_file(input, {}, /*interpolate=*/false);
  std::string text = has_toml_extension(output) ? write_toml(tree) : write_cfg(tree) + "\n";
  std::ofstream out(output, std::ios::binary);
  if (!out || !(out << text) || !out.flush()) throw Error("cannot write '" + output + "'");
  std::cout << "✔ Converted " << input << " -> " << output << "\n";
  return 0;
}

}  // namespace

TRFPIPE_COMMAND("config dump", "Show a config (json, cfg or toml) after overrides and interpolation",
                config_dump);
TRFPIPE_COMMAND("config convert", "Convert a config between .cfg and .toml", config_convert);

}  // namespace trfpipe::cli
