#include "cli/common.hpp"

#include <algorithm>
#include <iostream>

namespace trfpipe::cli {

bool print_usage_on_help(const std::vector<std::string>& argv, const char* usage) {
  if (std::find(argv.begin(), argv.end(), "--help") == argv.end()) return false;
  std::cout << usage;
  return true;
}

int fail(const std::string& title, const std::string& detail) {
  std::cerr << "\u2718 " << title << "\n";
  if (!detail.empty()) std::cerr << detail << "\n";
  return 1;
}

}  // namespace trfpipe::cli
