// wasabi's Printer pieces used by the training commands: the 80-column divider.
#pragma once
#include <algorithm>
#include <string>

namespace trfpipe::cli {

// wasabi's msg.divider(text): "\n" + "=== text ===", padded with '=' to 80 columns.
inline std::string divider(const std::string& text) {
  int n = int(double(80 - int(text.size())) / 2) - 2;
  std::string deco(size_t(std::max(0, n)), '=');
  std::string out = deco + " " + text + " " + deco;
  if (out.size() < 80) out += std::string(80 - out.size(), '=');
  return "\n" + out;
}

}  // namespace trfpipe::cli
