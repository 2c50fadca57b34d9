// Command-line arguments as spaCy's CLI reads them: positionals, named options with aliases
// (`--output/-o DIR`, `--output=DIR`), flags, and config overrides (`--paths.train x`, any
// option with a dot in its name; a bare one means true, `-` in names becomes `_`).
#pragma once
#include <climits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace trfpipe::cli {

struct OptionSpec {
  std::string name;   // "--output"
  std::string alias;  // "-o" or ""
  bool is_flag = false;
  std::string help;
};

class Args {
 public:
  // Throws trfpipe::ValueError for an unknown option or a missing value.
  Args(const std::vector<std::string>& argv, const std::vector<OptionSpec>& specs,
       bool allow_overrides = false);
  const std::vector<std::string>& positional() const { return positional_; }
  // The n-th positional, or a ValueError naming `what` when absent.
  const std::string& positional(size_t n, const std::string& what) const;
  std::optional<std::string> get(const std::string& name) const;  // "--output"
  std::string get_or(const std::string& name, const std::string& fallback) const;
  bool flag(const std::string& name) const;
  // Overrides in order given, e.g. {"paths.train", "x"}; values still as text.
  const std::vector<std::pair<std::string, std::string>>& overrides() const { return overrides_; }

 private:
  std::vector<std::string> positional_;
  std::map<std::string, std::string> values_;
  std::vector<std::pair<std::string, std::string>> overrides_;
};

// The whole of `text` as an integer in [lo, hi]; nullopt when it is not one (the caller names the
// option in its message).
std::optional<long long> parse_integer(const std::string& text, long long lo = LLONG_MIN,
                                       long long hi = LLONG_MAX);

}  // namespace trfpipe::cli
