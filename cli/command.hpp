// The trfpipe command table. Each cli/cmd_*.cpp adds its commands with TRFPIPE_COMMAND; main()
// makes each one a CLI11 subcommand ("init model" is `model` under a group `init`), lets the
// command the command line names declare its arguments on it, and runs it.
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

// The commands registered so far: those of the `trfpipe` binary, and those of the LibTorch
// commands module once it is loaded.
std::vector<Command>& commands();

// The commands built into libtrfpipe_torch_commands.so (CMakeLists.txt: TRFPIPE_TORCH_COMMANDS),
// by name and summary: `trfpipe --help` lists them without loading the module, which loads
// LibTorch. main() loads it when one of them runs, and fails loudly when the module's own
// TRFPIPE_COMMAND differs from this list (cli/torch_commands.cpp).
struct ModuleCommand {
  const char* name;
  const char* summary;
};
const std::vector<ModuleCommand>& torch_commands();

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
