// wasabi's Printer pieces used by the commands: the 80-column divider and msg.table.
#pragma once
#include <algorithm>
#include <charconv>
#include <iostream>
#include <string>
#include <vector>

namespace trfpipe::cli {

// wasabi's msg.divider(text): "\n" + "=== text ===", padded with '=' to 80 columns.
inline std::string divider(const std::string& text) {
  int n = int(double(80 - int(text.size())) / 2) - 2;
  std::string deco(size_t(std::max(0, n)), '=');
  std::string out = deco + " " + text + " " + deco;
  if (out.size() < 80) out += std::string(80 - out.size(), '=');
  return "\n" + out;
}

// Python's repr of a float, as spaCy's f-strings print one ("2.0", "0.3", "1.6666666666666667").
inline std::string python_float(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

// wasabi's table: auto widths, 3 spaces between columns, leading and trailing blank line.
inline void table(const std::string& title, const std::vector<std::vector<std::string>>& rows,
           const std::vector<std::string>& header, const std::vector<char>& aligns) {
  std::cout << divider(title) << "\n";
  std::vector<std::vector<std::string>> all;
  if (!header.empty()) all.push_back(header);
  all.insert(all.end(), rows.begin(), rows.end());
  std::vector<size_t> widths;
  for (const auto& r : all)
    for (size_t i = 0; i < r.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], r[i].size());
    }
  std::cout << "\n";
  for (const auto& r : all) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      if (i) line += "   ";
      std::string pad(widths[i] - r[i].size(), ' ');
      bool right = i < aligns.size() && aligns[i] == 'r';
      line += right ? pad + r[i] : r[i] + pad;
    }
    std::cout << line << "\n";
  }
  std::cout << "\n";
}

}  // namespace trfpipe::cli
