#include "cli/common.hpp"

#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <stdexcept>

namespace trfpipe::cli {

int fail(const std::string& title, const std::string& detail) {
  std::cerr << "\u2718 " << title << "\n";
  if (!detail.empty()) std::cerr << detail << "\n";
  return 1;
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

namespace {

// A callback rather than CLI11's own conversion: parse_integer takes the whole text or nothing,
// and the message is the command's own.
template <class Target>
CLI::Option* integer_option(CLI::App& app, const std::string& names, Target& target,
                            const std::string& description, const std::string& complaint,
                            long long lo, long long hi) {
  CLI::Option* option = app.add_option_function<std::string>(
      names,
      [&target, lo, hi, complaint](const std::string& text) {
        const auto value = parse_integer(text, lo, hi);
        if (!value) throw CLI::ValidationError(complaint + ", got '" + text + "'");
        target = *value;
      },
      description);
  return option->type_name("INT");
}

}  // namespace

CLI::Option* add_integer_option(CLI::App& app, const std::string& names, long long& target,
                                const std::string& description, const std::string& complaint,
                                long long lo, long long hi) {
  CLI::Option* option = integer_option(app, names, target, description, complaint, lo, hi);
  if (target >= lo && target <= hi) option->default_str(std::to_string(target));
  return option;
}

CLI::Option* add_integer_option(CLI::App& app, const std::string& names,
                                std::optional<long long>& target, const std::string& description,
                                const std::string& complaint, long long lo, long long hi) {
  return integer_option(app, names, target, description, complaint, lo, hi);
}

CLI::Option* add_optional_option(CLI::App& app, const std::string& names,
                                 std::optional<std::string>& target,
                                 const std::string& description) {
  return app.add_option_function<std::string>(
      names, [&target](const std::string& text) { target = text; }, description);
}

}  // namespace trfpipe::cli

namespace trfpipe::cli {

bool config_file_missing(const std::string& path) {
  std::error_code ec;
  return path != "-" && !std::filesystem::exists(path, ec);
}

std::string config_file_name(const std::string& path) { return path == "-" ? "<stdin>" : path; }

}  // namespace trfpipe::cli
