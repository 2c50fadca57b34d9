// trfpipe: spaCy's command line for native pipelines. Commands live in cli/cmd_*.cpp.
#include <algorithm>
#include <iostream>

#include "cli/command.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::cli {
std::vector<Command>& commands() {
  static std::vector<Command> table;
  return table;
}
}  // namespace trfpipe::cli

using trfpipe::cli::commands;

static void print_help() {
  std::cout << "Usage: trfpipe COMMAND [ARGS]...\n\n"
               "spaCy-compatible NLP pipelines with transformer components on LibTorch.\n\n"
               "Options:\n  --version  Show the version and exit.\n  --help     Show this message and exit.\n\n"
               "Commands:\n";
  auto table = commands();
  std::sort(table.begin(), table.end(), [](auto& a, auto& b) { return a.name < b.name; });
  for (const auto& c : table) {
    std::string name = c.name;
    name.resize(std::max<size_t>(name.size() + 2, 20), ' ');
    std::cout << "  " << name << c.summary << "\n";
  }
}

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    print_help();
    return args.empty() ? 1 : 0;
  }
  if (args[0] == "--version") {
    std::cout << "trfpipe " << TRFPIPE_VERSION << "\n";
    return 0;
  }
  // Longest match first: "init model" before "init".
  const trfpipe::cli::Command* best = nullptr;
  size_t best_words = 0;
  for (const auto& c : commands()) {
    size_t words = 1 + std::count(c.name.begin(), c.name.end(), ' ');
    if (words > args.size() || words <= best_words) continue;
    std::string joined = args[0];
    for (size_t i = 1; i < words; ++i) joined += " " + args[i];
    if (joined == c.name) {
      best = &c;
      best_words = words;
    }
  }
  if (!best) {
    std::cerr << "✘ Unknown command '" << args[0] << "'. Run 'trfpipe --help' for the list.\n";
    return 2;
  }
  try {
    return best->run(std::vector<std::string>(args.begin() + best_words, args.end()));
  } catch (const trfpipe::Error& e) {
    std::cerr << "✘ " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "✘ Unexpected error: " << e.what() << "\n";
    return 1;
  }
}
