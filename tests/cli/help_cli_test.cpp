// The command line's own surface, run as a process: --help of every command (the list comes from
// `trfpipe --help`, so a new command is covered without editing this file), usage errors (exit 2)
// against failures of a command (exit 1), and the spaCy argument forms CLI11 cannot declare
// (config overrides, `-tk`).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli/run_cli.hpp"
#include "common/temp_dir.hpp"

namespace fs = std::filesystem;
using trfpipe::testing::RunResult;
using trfpipe::testing::run_cli;
using trfpipe::testing::TempDir;

namespace {

const std::string kConfig =
    std::string(TRFPIPE_SHARED_DIR) + "/data/configs/spaCy__spacy__default_config.cfg";

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, sep);)
    if (!part.empty()) parts.push_back(part);
  return parts;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// `words` ("init", "model") followed by `args`.
std::vector<std::string> command_line(const std::string& command,
                                      const std::vector<std::string>& args = {}) {
  std::vector<std::string> line = split(command, ' ');
  line.insert(line.end(), args.begin(), args.end());
  return line;
}

// The lines of the section `title` ("Commands:", "Options:") of a help text: from its title to
// the next blank line.
std::vector<std::string> section(const std::string& help, const std::string& title) {
  std::vector<std::string> lines;
  bool in = false;
  std::stringstream text(help);
  for (std::string line; std::getline(text, line);) {
    if (line == title) {
      in = true;
    } else if (in && line.empty()) {
      break;
    } else if (in) {
      lines.push_back(line);
    }
  }
  return lines;
}

// The commands `trfpipe --help` lists, by full name ("init model"): the name ends where two
// blanks start the summary.
std::vector<std::string> listed_commands(const std::string& help) {
  std::vector<std::string> names;
  for (const std::string& line : section(help, "Commands:")) {
    const size_t start = line.find_first_not_of(' ');
    if (start == std::string::npos) continue;
    names.push_back(line.substr(start, line.find("  ", start) - start));
  }
  return names;
}

std::vector<std::string> listed_commands() {
  RunResult r = run_cli({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return listed_commands(r.out);
}

struct ListedOption {
  std::string name;  // the long name when there is one ("--batch-size"), else the short one
  bool takes_value = false;
  bool required = false;
};

// The options a command's help lists, --help left out. A value option has its type one blank
// after its names ("-b,--batch-size INT"); a flag's description starts after two or more.
std::vector<ListedOption> listed_options(const std::string& help) {
  std::vector<ListedOption> options;
  for (const std::string& line : section(help, "Options:")) {
    const size_t start = line.find_first_not_of(' ');
    if (start == std::string::npos || line[start] != '-') continue;  // a wrapped description
    const size_t end = std::min(line.find(' ', start), line.size());
    ListedOption option;
    option.name = split(line.substr(start, end - start), ',').back();
    if (option.name == "--help") continue;
    option.takes_value = end + 1 < line.size() && line[end + 1] != ' ';
    option.required = contains(line.substr(end, line.find("  ", end) - end), "REQUIRED");
    options.push_back(option);
  }
  return options;
}

// The positionals the usage line of `command`'s help names without brackets (the required ones).
std::vector<std::string> required_positionals(const std::string& help, const std::string& command) {
  const std::string usage = "Usage: trfpipe " + command + " ";
  const size_t at = help.find(usage);
  if (at == std::string::npos) return {};
  const size_t from = at + usage.size();
  std::vector<std::string> names;
  for (const std::string& word : split(help.substr(from, help.find('\n', from) - from), ' '))
    if (word[0] != '[') names.push_back(word);
  return names;
}

std::string help_of(const std::string& command) {
  return run_cli(command_line(command, {"--help"})).out;
}

// The one-line usage error of `command` (exit 2, "✘ trfpipe COMMAND: ..." on stderr).
void expect_usage_error(const RunResult& r, const std::string& command, const std::string& part) {
  EXPECT_EQ(r.exit_code, 2) << command << ": " << r.err;
  EXPECT_TRUE(contains(r.err, "\u2718 trfpipe " + command + ": ")) << command << ": " << r.err;
  EXPECT_TRUE(contains(r.err, part)) << command << ": " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << command << ": " << r.err;
  EXPECT_TRUE(r.out.empty()) << command << ": " << r.out;
}

TEST(HelpCli, RootHelpListsTheCommandsAndVersionPrints) {
  RunResult help = run_cli({"--help"});
  ASSERT_EQ(help.exit_code, 0) << help.err;
  EXPECT_TRUE(contains(help.out, "Usage: trfpipe ")) << help.out;
  const std::vector<std::string> commands = listed_commands(help.out);
  for (const char* known : {"apply", "train", "evaluate", "convert", "assemble", "config dump",
                            "init model", "debug pieces"})
    EXPECT_NE(std::find(commands.begin(), commands.end(), known), commands.end())
        << known << " not listed in:\n" << help.out;
  EXPECT_EQ(run_cli({"-h"}).out, help.out);

  RunResult version = run_cli({"--version"});
  EXPECT_EQ(version.exit_code, 0) << version.err;
  EXPECT_TRUE(std::regex_match(version.out, std::regex("trfpipe [0-9]+\\.[0-9]+\\.[0-9]+\n")))
      << version.out;

  // Without arguments: the usage, and a failure (as before CLI11).
  RunResult bare = run_cli({});
  EXPECT_EQ(bare.exit_code, 1);
  EXPECT_TRUE(contains(bare.out, "Usage: trfpipe ")) << bare.out;
}

TEST(HelpCli, EveryCommandAnswersHelpWithItsUsageAndOptions) {
  const std::vector<std::string> commands = listed_commands();
  ASSERT_FALSE(commands.empty());
  for (const std::string& command : commands) {
    for (const char* flag : {"--help", "-h"}) {
      RunResult r = run_cli(command_line(command, {flag}));
      EXPECT_EQ(r.exit_code, 0) << command << " " << flag << ": " << r.err;
      EXPECT_TRUE(contains(r.out, "Usage: trfpipe " + command + " ")) << command << ":\n" << r.out;
      // Its real options, or positionals where it has no option (config convert).
      EXPECT_FALSE(listed_options(r.out).empty() && section(r.out, "Positionals:").empty())
          << command << " lists no arguments:\n" << r.out;
      EXPECT_TRUE(r.err.empty()) << command << ": " << r.err;
    }
  }
}

// Every option a help lists is one the command accepts: given all of them, the only complaint
// is about the one that does not exist. (Nothing runs: the unknown option stops it.)
TEST(HelpCli, EveryListedOptionIsAcceptedAndAnUnknownOneIsAUsageError) {
  for (const std::string& command : listed_commands()) {
    std::vector<std::string> args;
    for (const ListedOption& option : listed_options(help_of(command))) {
      args.push_back(option.name);
      if (option.takes_value) args.push_back("1");
    }
    args.push_back("--no-such-option");
    // No positionals either: the unknown option is named before the missing arguments.
    expect_usage_error(run_cli(command_line(command, args)), command,
                       "unknown option --no-such-option");
  }
}

TEST(HelpCli, AMissingRequiredArgumentIsAUsageErrorNamingIt) {
  size_t checked = 0;
  for (const std::string& command : listed_commands()) {
    const std::string help = help_of(command);
    std::vector<std::string> required = required_positionals(help, command);
    for (const ListedOption& option : listed_options(help))
      if (option.required) required.push_back(option.name);
    if (required.empty()) continue;  // it would run
    ++checked;
    RunResult r = run_cli(command_line(command));
    expect_usage_error(r, command, " is required");
    EXPECT_TRUE(std::any_of(required.begin(), required.end(),
                            [&](const std::string& name) { return contains(r.err, name); }))
        << command << ": " << r.err;
  }
  EXPECT_GT(checked, 0u);
}

TEST(HelpCli, GroupWordsAnswerHelpAndNeedACommand) {
  std::map<std::string, std::vector<std::string>> groups;  // "init" -> {"config", "model"}
  for (const std::string& command : listed_commands()) {
    std::vector<std::string> words = split(command, ' ');
    if (words.size() == 2) groups[words[0]].push_back(words[1]);
  }
  ASSERT_FALSE(groups.empty());
  for (const auto& [group, subs] : groups) {
    RunResult help = run_cli({group, "--help"});
    EXPECT_EQ(help.exit_code, 0) << group << ": " << help.err;
    EXPECT_TRUE(contains(help.out, "Usage: trfpipe " + group + " ")) << help.out;
    EXPECT_EQ(listed_commands(help.out), subs) << help.out;
    expect_usage_error(run_cli({group}), group, "required");
    RunResult unknown = run_cli({group, "nosuch"});
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_TRUE(contains(unknown.err, "Unknown command 'nosuch'")) << unknown.err;
  }
  RunResult unknown = run_cli({"nosuch"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(contains(unknown.err, "Unknown command 'nosuch'")) << unknown.err;
}

// A value CLI11 checks (an integer, one of a list) is a usage error: exit 2, nothing written. A
// failure of the command itself stays exit 1.
TEST(HelpCli, MalformedValuesAreUsageErrorsAndFailuresStayExitOne) {
  TempDir tmp;
  const std::string in = tmp.file("in.jsonl", "{\"text\": \"Hi.\"}\n");
  const std::string out = tmp / "out.jsonl";
  expect_usage_error(run_cli({"apply", "blank:en", in, out, "--batch-size", "x"}), "apply",
                     "--batch-size must be a positive integer, got 'x'");
  expect_usage_error(run_cli({"apply", "blank:en", in, out, "-t", "2x"}), "apply",
                     "--threads must be a positive integer, got '2x'");
  expect_usage_error(run_cli({"config", "dump", kConfig, "--format", "yaml"}), "config dump",
                     "--format: yaml not in");
  expect_usage_error(run_cli({"init", "config", out, "--optimize", "fast"}), "init config",
                     "--optimize");
  expect_usage_error(run_cli({"convert", in, tmp.path.string(), "-n", "-1"}), "convert",
                     "--n-sents must be an integer, 0 or more, got '-1'");
  expect_usage_error(run_cli({"init", "model", tmp / "m", "--arch", "bert", "--tokenizer", in,
                              "--width", "6.5"}),
                     "init model", "option --width expects an integer, got '6.5'");
  expect_usage_error(run_cli({"apply", "blank:en", in, out, "--code"}), "apply",
                     "option --code needs a value");
  expect_usage_error(run_cli({"apply", "blank:en", in, out, "extra"}), "apply",
                     "unexpected argument 'extra'");
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(tmp / "m"));

  RunResult missing = run_cli({"config", "dump", tmp / "missing.cfg"});
  EXPECT_EQ(missing.exit_code, 1) << missing.err;
  RunResult gpu = run_cli({"apply", "blank:en", in, out, "--gpu-id", "zero"});
  EXPECT_EQ(gpu.exit_code, 1) << gpu.err;  // checked when the command runs, as before CLI11
}

TEST(SpacyArgs, ConfigOverridesInEveryForm) {
  RunResult r = run_cli({"config", "dump", "--nlp.lang", "de", kConfig, "--paths.train", "t.spacy",
                         "--training.max-steps=7", "--training.dropout", "-0.5", "--paths.dev",
                         "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["nlp"]["lang"], "de");
  EXPECT_EQ(j["paths"]["train"], "t.spacy");
  EXPECT_EQ(j["training"]["max_steps"], 7);  // `-` in a name is `_`
  EXPECT_EQ(j["training"]["dropout"], -0.5);
  EXPECT_EQ(j["paths"]["dev"], true);        // a bare override, followed by an option
  // An option's value is its value even when it looks like an override.
  expect_usage_error(run_cli({"config", "dump", kConfig, "--format", "--paths.train"}),
                     "config dump", "--format: --paths.train not in");
  // A repeated option keeps its last value.
  RunResult last = run_cli({"config", "dump", kConfig, "--format", "cfg", "--format", "json"});
  ASSERT_EQ(last.exit_code, 0) << last.err;
  EXPECT_NO_THROW(nlohmann::json::parse(last.out));
}

TEST(SpacyArgs, CommandsWithoutOverridesRejectThem) {
  TempDir tmp;
  const std::string in = tmp.file("in.jsonl", "{\"text\": \"Hi.\"}\n");
  expect_usage_error(run_cli({"apply", "blank:en", in, tmp / "out.jsonl", "--paths.train", "x"}),
                     "apply", "unknown option --paths.train");
  EXPECT_FALSE(fs::exists(tmp / "out.jsonl"));
}

TEST(SpacyArgs, MultiLetterDashAliasNamesTheLongOption) {
  TempDir tmp;
  const std::string in = tmp.file("in.jsonl", "{\"body\": \"Two words.\"}\n");
  RunResult r = run_cli({"apply", "blank:en", in, "-", "-tk", "body", "-t", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["text"], "Two words.");
  RunResult long_name = run_cli({"apply", "blank:en", in, "-", "--text-key", "body"});
  ASSERT_EQ(long_name.exit_code, 0) << long_name.err;
  EXPECT_EQ(long_name.out, r.out);
  // The key matters: these lines have no "text".
  RunResult default_key = run_cli({"apply", "blank:en", in, "-"});
  EXPECT_EQ(default_key.exit_code, 1);
  EXPECT_TRUE(contains(default_key.err, "\"text\"")) << default_key.err;
}

}  // namespace
