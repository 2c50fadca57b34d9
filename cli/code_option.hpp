// `--code/-c PLUGIN.so[,PLUGIN2.so...]`: the one option every pipeline-building command shares
// (spaCy's `--code`). A command adds it with add_code_option and calls load_code before it reads a
// config or loads a pipeline, so the plugins' factories and registered functions exist by then.
// See docs/plugins.md.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace trfpipe::cli {

// Adds --code/-c to `app`: one plugin path or a comma-separated list of them, into `value`.
void add_code_option(CLI::App& app, std::optional<std::string>& value);

// The plugin paths of a --code value: split at commas, blanks around each path trimmed, empty
// items dropped. ValueError when the value names no path at all ("--code ''", "--code ,").
std::vector<std::string> code_paths(const std::string& value);

// Loads every plugin named by --code, in the order given (registry::load_plugin); nothing when
// the option was not given. A plugin that is missing, not loadable or lacks
// trfpipe_register_plugin is a trfpipe::Error naming it (the command then exits non-zero before
// writing anything).
void load_code(const std::optional<std::string>& value);

}  // namespace trfpipe::cli
