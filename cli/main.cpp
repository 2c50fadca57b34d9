// trfpipe: spaCy's command line for native pipelines. Commands live in cli/cmd_*.cpp; CLI11 parses
// their arguments and writes their --help.
#include <CLI/CLI.hpp>
#include <dlfcn.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/command.hpp"
#include "cli/spacy_args.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/registry.hpp"

namespace trfpipe::cli {

std::vector<Command>& commands() {
  static std::vector<Command> table;
  return table;
}

namespace {

// Lists every command by its full name ("init model"), not only its group word, in the help of
// `trfpipe` (as before CLI11) and of `trfpipe init`.
class CommandListFormatter : public CLI::Formatter {
 public:
  std::string make_subcommand(const CLI::App* sub) const override {
    return list(sub, sub->get_name());
  }

 private:
  std::string list(const CLI::App* sub, const std::string& name) const {
    std::stringstream out;
    std::vector<const CLI::App*> children = sub->get_subcommands({});
    if (children.empty())
      CLI::detail::format_help(out, name, sub->get_description(), get_column_width());
    for (const CLI::App* child : children) out << list(child, name + " " + child->get_name());
    return out.str();
  }
};

// The subcommand of `parent` called `word`, or nullptr.
CLI::App* find_subcommand(CLI::App& parent, const std::string& word) {
  for (CLI::App* sub : parent.get_subcommands({}))
    if (sub->check_name(word)) return sub;
  return nullptr;
}

// One subcommand per command, under group subcommands for its leading words ("init" of "init
// model"). Only the command that runs declares its options (setup), so the commands of the
// LibTorch module need not be loaded to be listed.
std::map<const CLI::App*, Command> add_commands(CLI::App& app) {
  std::map<const CLI::App*, Command> table;
  std::vector<Command> all = commands();
  for (const ModuleCommand& m : torch_commands()) all.push_back({m.name, m.summary, nullptr});
  std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.name < b.name; });
  for (const Command& c : all) {
    std::vector<std::string> words;
    std::istringstream name(c.name);
    for (std::string w; name >> w;) words.push_back(w);
    CLI::App* parent = &app;
    for (size_t i = 0; i + 1 < words.size(); ++i) {
      CLI::App* group = find_subcommand(*parent, words[i]);
      if (!group) {
        group = parent->add_subcommand(words[i])->group("Commands");
        group->require_subcommand(1);
      }
      parent = group;
    }
    table[parent->add_subcommand(words.back(), c.summary)->group("Commands")] = c;
  }
  for (CLI::App* group : app.get_subcommands({})) {
    std::string names;
    for (const CLI::App* sub : group->get_subcommands({}))
      names += (names.empty() ? "" : ", ") + sub->get_name();
    if (!names.empty()) group->description("Commands: " + names);
  }
  return table;
}

// The setup of `command`: its own, or for a command of the LibTorch module the one the module
// registers when loaded (dlopen from the binary's library path). Error when the module cannot be
// loaded or does not have the command as listed.
CommandSetup command_setup(const Command& command) {
  if (command.setup) return command.setup;
  // libtrfpipe.so through the core first, so LibTorch starts with the core's process settings
  // (registry/torch_library.cpp); a failure shows in the module's own load error below.
  trfpipe::registry::load_torch_library();
  dlerror();
  if (!dlopen(TRFPIPE_TORCH_COMMANDS_MODULE, RTLD_NOW | RTLD_GLOBAL)) {
    const char* why = dlerror();
    throw trfpipe::Error(std::string("can't load the commands module ") +
                         TRFPIPE_TORCH_COMMANDS_MODULE + ": " + (why ? why : "unknown error"));
  }
  for (const Command& c : commands())
    if (c.name == command.name) {
      if (c.summary != command.summary || !c.setup)
        throw trfpipe::Error("internal error: cli/torch_commands.cpp lists '" + command.name +
                             "' with the summary '" + command.summary + "', the module with '" +
                             c.summary + "'");
      return c.setup;
    }
  throw trfpipe::Error("internal error: " + std::string(TRFPIPE_TORCH_COMMANDS_MODULE) +
                       " has no command '" + command.name + "'");
}

// What went wrong, in one line, for the arguments `args` of `command`. CLI11 keeps the arguments
// it could not place (unknown options, one argument too many) aside and reports a missing one
// first; the unknown option is the clearer message.
std::string usage_problem(CLI::App& command, const std::vector<std::string>& args,
                          const CLI::ParseError& e) {
  std::vector<std::string> left = command.remaining();
  left.erase(std::remove(left.begin(), left.end(), "--"), left.end());
  for (const std::string& arg : left)
    if (arg.size() > 1 && arg[0] == '-') return "unknown option " + arg;
  if (!left.empty()) return "unexpected argument '" + left.front() + "'";
  // CLI11 takes the next argument as an option's value whatever it looks like, so only the last
  // one can lack its value.
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) && !args.empty() && args.back()[0] == '-') {
    const CLI::Option* option = command.get_option_no_throw(args.back());
    if (option && option->get_expected_min() > 0) return "option " + args.back() + " needs a value";
  }
  return e.what();
}

}  // namespace
}  // namespace trfpipe::cli

int main(int argc, char** argv) {
  using namespace trfpipe::cli;
  CLI::App app("spaCy-compatible NLP pipelines with transformer components on LibTorch.",
               "trfpipe");
  auto formatter = std::make_shared<CommandListFormatter>();
  formatter->label("SUBCOMMAND", "COMMAND");
  app.formatter(formatter);
  app.set_version_flag("--version", "trfpipe " TRFPIPE_VERSION, "Show the version and exit.");
  app.require_subcommand(1);
  // Subcommands copy these when they are added: a repeated option keeps its last value (as
  // spaCy's), help shows the defaults.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.option_defaults()->always_capture_default();
  const auto table = add_commands(app);

  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cout << app.help();
    return 1;
  }
  // The command the leading words name; what follows is its arguments.
  CLI::App* command = &app;
  std::string path = "trfpipe";
  size_t n_words = 0;
  for (CLI::App* sub; n_words < args.size() && (sub = find_subcommand(*command, args[n_words]));) {
    command = sub;
    path += " " + args[n_words++];
  }
  const auto chosen = table.find(command);
  if (chosen == table.end() && n_words < args.size() && args[n_words][0] != '-') {
    std::cerr << "\u2718 Unknown command '" << args[n_words] << "'. Run '" << path
              << " --help' for the list.\n";
    return 2;
  }
  CommandRunner runner;
  if (chosen != table.end()) {
    try {
      runner = command_setup(chosen->second)(*command);
    } catch (const trfpipe::Error& e) {
      std::cerr << "\u2718 " << e.what() << "\n";
      return 1;
    }
  }
  const std::vector<std::string> rest =
      take_spacy_args(*command, {args.begin() + long(n_words), args.end()});
  args.resize(n_words);
  args.insert(args.end(), rest.begin(), rest.end());
  std::reverse(args.begin(), args.end());  // CLI11 takes a vector last argument first
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // A usage error: exit code 2, as spaCy's (click's).
    std::cerr << "\u2718 " << path << ": " << usage_problem(*command, rest, e) << ". Run '" << path
              << " --help' for usage.\n";
    return 2;
  }
  if (!runner) {  // options before the command words ("trfpipe -x train"): CLI11 chose it
    std::cerr << "\u2718 Give the command first. Run 'trfpipe --help' for the list.\n";
    return 2;
  }
  try {
    return runner();
  } catch (const trfpipe::Error& e) {
    std::cerr << "\u2718 " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "\u2718 Unexpected error: " << e.what() << "\n";
    return 1;
  }
}
