#include "cli/spacy_args.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <map>
#include <utility>

namespace trfpipe::cli {
namespace {

struct SpacyArgs {
  ConfigOverrides* overrides = nullptr;
  std::map<std::string, std::string> aliases;
};

// Per command; CLI::App has no room for data of its own.
std::map<const CLI::App*, SpacyArgs>& spacy_args() {
  static std::map<const CLI::App*, SpacyArgs> table;
  return table;
}

}  // namespace

void add_config_overrides(CLI::App& app, ConfigOverrides& target) {
  spacy_args()[&app].overrides = &target;
  app.footer("Config overrides: --section.key VALUE or --section.key=VALUE (--paths.train "
             "train.spacy, --training.max_steps=5); a bare --section.key means true.");
}

void add_dash_alias(CLI::App& app, const std::string& alias, const std::string& name) {
  spacy_args()[&app].aliases[alias] = name;
  CLI::Option* option = app.get_option(name);
  option->description(option->get_description() + " (also " + alias + ")");
}

std::vector<std::string> take_spacy_args(const CLI::App& app,
                                         const std::vector<std::string>& args) {
  auto found = spacy_args().find(&app);
  if (found == spacy_args().end()) return args;
  const SpacyArgs& spacy = found->second;
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {  // everything after it is positional
      rest.insert(rest.end(), args.begin() + long(i), args.end());
      break;
    }
    if (auto alias = spacy.aliases.find(arg); alias != spacy.aliases.end()) {
      rest.push_back(alias->second);
      continue;
    }
    const bool is_long = arg.rfind("--", 0) == 0;
    const size_t eq = is_long ? arg.find('=') : std::string::npos;
    const std::string key = arg.substr(0, eq);
    const CLI::Option* option = arg.size() > 1 && arg[0] == '-' ? app.get_option_no_throw(key)
                                                                : nullptr;
    if (option && option->get_expected_min() > 0 && eq == std::string::npos &&
        i + 1 < args.size()) {
      rest.push_back(arg);  // the next argument is its value, even when it looks like an override
      rest.push_back(args[++i]);
      continue;
    }
    if (!spacy.overrides || option || !is_long || key.find('.') == std::string::npos) {
      rest.push_back(arg);
      continue;
    }
    std::string name = key.substr(2);
    std::replace(name.begin(), name.end(), '-', '_');
    std::string value = "true";
    if (eq != std::string::npos)
      value = arg.substr(eq + 1);
    else if (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0)
      value = args[++i];
    spacy.overrides->emplace_back(name, value);
  }
  return rest;
}

}  // namespace trfpipe::cli
