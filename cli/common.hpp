// Small pieces every command shares: the failure message, integer options, options whose absence
// matters.
#pragma once
#include <climits>
#include <optional>
#include <string>

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace trfpipe::cli {

// wasabi's msg.fail: "✘ title" and, when given, `detail` on the next line, both to stderr.
// Returns 1, the exit code of a failed command.
int fail(const std::string& title, const std::string& detail = "");

// A config path of a command: "-" reads the config from stdin (spaCy's load_config), so it is
// never "not found"; messages name it "<stdin>".
bool config_file_missing(const std::string& path);
std::string config_file_name(const std::string& path);

// The whole of `text` as an integer in [lo, hi]; nullopt when it is not one (the caller names the
// option in its message).
std::optional<long long> parse_integer(const std::string& text, long long lo = LLONG_MIN,
                                       long long hi = LLONG_MAX);

// An integer option read with parse_integer into `target`. A value that is not an integer in
// [lo, hi] is a usage error: "<complaint>, got '<value>'". Help shows the initial value of
// `target` as the default unless it lies outside [lo, hi] (then it means "not given").
CLI::Option* add_integer_option(CLI::App& app, const std::string& names, long long& target,
                                const std::string& description, const std::string& complaint,
                                long long lo = LLONG_MIN, long long hi = LLONG_MAX);
// The same for an option without a default: `target` stays nullopt when it is not given.
CLI::Option* add_integer_option(CLI::App& app, const std::string& names,
                                std::optional<long long>& target, const std::string& description,
                                const std::string& complaint, long long lo = LLONG_MIN,
                                long long hi = LLONG_MAX);

// A text option that stays nullopt when not given (an empty value is still a value).
CLI::Option* add_optional_option(CLI::App& app, const std::string& names,
                                 std::optional<std::string>& target,
                                 const std::string& description);

}  // namespace trfpipe::cli
