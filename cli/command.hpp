// The trfpipe command table. Each cli/cmd_*.cpp adds its commands with TRFPIPE_COMMAND; main()
// picks the longest registered name ("init model" before "init") matching the arguments.
#pragma once
#include <string>
#include <vector>

namespace trfpipe::cli {

using CommandFn = int (*)(const std::vector<std::string>& args);  // args after the command name

struct Command {
  std::string name;     // "apply", "config dump"
  std::string summary;  // one line for --help
  CommandFn run;
};

std::vector<Command>& commands();

struct CommandRegistrar {
  CommandRegistrar(const char* name, const char* summary, CommandFn fn) {
    commands().push_back({name, summary, fn});
  }
};

}  // namespace trfpipe::cli

#define TRFPIPE_CLI_CONCAT2(a, b) a##b
#define TRFPIPE_CLI_CONCAT(a, b) TRFPIPE_CLI_CONCAT2(a, b)
#define TRFPIPE_COMMAND(name, summary, fn)                                                \
  static ::trfpipe::cli::CommandRegistrar TRFPIPE_CLI_CONCAT(trfpipe_command_, __LINE__)( \
      name, summary, fn)
