// Small pieces every command shares: the "--help prints usage" check and the failure message.
#pragma once
#include <string>
#include <vector>

namespace trfpipe::cli {

// When argv contains "--help": prints `usage` to stdout and returns true (the command then
// returns 0); otherwise returns false.
bool print_usage_on_help(const std::vector<std::string>& argv, const char* usage);

// wasabi's msg.fail: "✘ title" and, when given, `detail` on the next line, both to stderr.
// Returns 1, the exit code of a failed command.
int fail(const std::string& title, const std::string& detail = "");

}  // namespace trfpipe::cli
