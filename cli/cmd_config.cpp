// `trfpipe config dump` and `trfpipe config convert`: show a config as JSON, .cfg or TOML (with
// spaCy-style `--section.key value` overrides), and convert between .cfg and .toml.
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "cli/spacy_args.hpp"
#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::cli {
namespace {

bool has_toml_extension(const std::string& path) {
  std::string lower = path;
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return lower.size() >= 5 && lower.compare(lower.size() - 5, 5, ".toml") == 0;
}

struct DumpArgs {
  std::string path;
  std::string format = "json";
  bool no_interpolate = false;
  ConfigOverrides overrides;
};

int config_dump(const DumpArgs& args) {
  Json tree = load_config_file(args.path, args.overrides, !args.no_interpolate);
  if (args.format == "json") {
    std::cout << tree.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
  } else if (args.format == "cfg") {
    std::cout << write_cfg(tree) << "\n";
  } else {
    std::cout << write_toml(tree);
  }
  return 0;
}

CommandRunner config_dump_command(CLI::App& app) {
  auto args = std::make_shared<DumpArgs>();
  app.add_option("CONFIG", args->path, "a .cfg or .toml config")->required();
  app.add_option("-f,--format", args->format, "what to write")
      ->check(CLI::IsMember({"json", "cfg", "toml"}));
  app.add_flag("--no-interpolate", args->no_interpolate, "show ${...} references unresolved");
  add_config_overrides(app, args->overrides);
  return [args] { return config_dump(*args); };
}

struct ConvertArgs {
  std::string input, output;
};

int config_convert(const ConvertArgs& args) {
  // The raw tree: references stay references, so the converted file means the same.
  Json tree = load_config_file(args.input, {}, /*interpolate=*/false);
  std::string text = has_toml_extension(args.output) ? write_toml(tree) : write_cfg(tree) + "\n";
  std::ofstream out(args.output, std::ios::binary);
  if (!out || !(out << text) || !out.flush()) throw Error("cannot write '" + args.output + "'");
  std::cout << "✔ Converted " << args.input << " -> " << args.output << "\n";
  return 0;
}

CommandRunner config_convert_command(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  app.add_option("INPUT", args->input, "a .cfg or .toml config")->required();
  app.add_option("OUTPUT", args->output, "the file to write: .toml writes TOML, anything else .cfg")
      ->required();
  return [args] { return config_convert(*args); };
}

}  // namespace

TRFPIPE_COMMAND("config dump", "Show a config (json, cfg or toml) after overrides and interpolation",
                config_dump_command);
TRFPIPE_COMMAND("config convert", "Convert a config between .cfg and .toml", config_convert_command);

}  // namespace trfpipe::cli
