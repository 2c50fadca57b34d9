// The trfpipe command table. Each cli/cmd_*.cpp adds its commands with TRFPIPE_COMMAND; main()
// makes each one a CLI11 subcommand ("init model" is `model` under a group `init`), lets the
// command declare its arguments on it, and runs the one the command line names.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace trfpipe::cli {

// Runs the command once its CLI::App has parsed the arguments; returns the exit code.
using CommandRunner = std::function<int()>;
// Declares the command's positionals and options on `app` (bound to storage the runner owns) and
// returns the runner.
using CommandSetup = CommandRunner (*)(CLI::App& app);

struct Command {
  std::string name;     // "apply", "config dump"
  std::string summary;  // one line for --help
  CommandSetup setup;
};

std::vector<Command>& commands();

struct CommandRegistrar {
  CommandRegistrar(const char* name, const char* summary, CommandSetup setup) {
    commands().push_back({name, summary, setup});
  }
};

}  // namespace trfpipe::cli

#define TRFPIPE_CLI_CONCAT2(a, b) a##b
#define TRFPIPE_CLI_CONCAT(a, b) TRFPIPE_CLI_CONCAT2(a, b)
#define TRFPIPE_COMMAND(name, summary, setup)                                             \
  static ::trfpipe::cli::CommandRegistrar TRFPIPE_CLI_CONCAT(trfpipe_command_, __LINE__)( \
      name, summary, setup)
