#include "cli/args.hpp"

#include <stdexcept>

#include "trfpipe/error.hpp"

namespace trfpipe::cli {

Args::Args(const std::vector<std::string>& argv, const std::vector<OptionSpec>& specs,
           bool allow_overrides) {
  auto find_spec = [&](const std::string& key) -> const OptionSpec* {
    for (const auto& s : specs)
      if (s.name == key || (!s.alias.empty() && s.alias == key)) return &s;
    return nullptr;
  };
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() < 2 || a[0] != '-' || a == "-") {
      positional_.push_back(a);
      continue;
    }
    std::string key = a, value;
    bool has_value = false;
    if (auto eq = a.find('='); eq != std::string::npos && a.rfind("--", 0) == 0) {
      key = a.substr(0, eq);
      value = a.substr(eq + 1);
      has_value = true;
    }
    if (const OptionSpec* spec = find_spec(key)) {
      if (spec->is_flag) {
        values_[spec->name] = has_value ? value : "true";
        continue;
      }
      if (!has_value) {
        if (i + 1 >= argv.size()) throw ValueError("option " + key + " needs a value");
        value = argv[++i];
      }
      values_[spec->name] = value;
      continue;
    }
    if (allow_overrides && key.rfind("--", 0) == 0 && key.find('.') != std::string::npos) {
      std::string name = key.substr(2);
      for (auto& c : name)
        if (c == '-') c = '_';
      if (!has_value) {
        if (i + 1 < argv.size() && argv[i + 1].rfind("--", 0) != 0) {
          value = argv[++i];
        } else {
          value = "true";
        }
      }
      overrides_.emplace_back(name, value);
      continue;
    }
    std::string known;
    for (const auto& s : specs) known += " " + s.name;
    throw ValueError("unknown option " + key + (known.empty() ? "" : "; options:" + known));
  }
}

const std::string& Args::positional(size_t n, const std::string& what) const {
  if (n >= positional_.size()) throw ValueError("missing argument " + what);
  return positional_[n];
}

std::optional<std::string> Args::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Args::get_or(const std::string& name, const std::string& fallback) const {
  auto v = get(name);
  return v ? *v : fallback;
}

bool Args::flag(const std::string& name) const {
  auto v = get(name);
  return v && *v != "false" && *v != "0";
}

std::optional<long long> parse_integer(const std::string& text, long long lo, long long hi) {
  try {
    size_t used = 0;
    const long long v = std::stoll(text, &used);
    if (used != text.size() || v < lo || v > hi) return std::nullopt;
    return v;
  } catch (const std::logic_error&) {  // not a number, or out of long long's range
    return std::nullopt;
  }
}

}  // namespace trfpipe::cli
