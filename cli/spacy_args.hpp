// The parts of spaCy's command line that CLI11 cannot declare, read by own code before CLI11
// parses the rest:
//  - config overrides `--section.key value`, `--section.key=value`, a bare `--section.key` (true),
//    `-` in their names read as `_`: their names are open-ended (any dotted path), and whether
//    one takes a value depends on the next argument;
//  - single-dash aliases of more than one letter (`-tk` for `--text-key`): CLI11's short names
//    are one character, and it would read `-tk` as `-t k`.
#pragma once
#include <string>
#include <vector>

#include "trfpipe/config.hpp"

namespace CLI {
class App;
}

namespace trfpipe::cli {

// The command `app` takes config overrides, collected into `target` in the order given.
void add_config_overrides(CLI::App& app, ConfigOverrides& target);

// `alias` ("-tk") names the option `name` ("--text-key") of `app`.
void add_dash_alias(CLI::App& app, const std::string& alias, const std::string& name);

// `args` (the arguments after the command words) with the overrides taken out into the command's
// target and the aliases replaced by their option names, ready for CLI11.
std::vector<std::string> take_spacy_args(const CLI::App& app, const std::vector<std::string>& args);

}  // namespace trfpipe::cli
