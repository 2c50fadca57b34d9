#include "cli/code_option.hpp"

#include "cli/common.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/registry.hpp"

namespace trfpipe::cli {

void add_code_option(CLI::App& app, std::optional<std::string>& value) {
  add_optional_option(app, "-c,--code", value,
                      "plugin shared object(s) registering factories/functions, comma-separated");
}

std::vector<std::string> code_paths(const std::string& value) {
  std::vector<std::string> paths;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string::npos) comma = value.size();
    std::string item = value.substr(start, comma - start);
    const size_t first = item.find_first_not_of(" \t");
    const size_t last = item.find_last_not_of(" \t");
    if (first != std::string::npos) paths.push_back(item.substr(first, last - first + 1));
    start = comma + 1;
  }
  if (paths.empty())
    throw ValueError("--code needs a plugin path (or a comma-separated list), got '" + value + "'");
  return paths;
}

void load_code(const std::optional<std::string>& value) {
  if (!value) return;
  for (const std::string& path : code_paths(*value)) registry::load_plugin(path);
}

}  // namespace trfpipe::cli
