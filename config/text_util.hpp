// Small string helpers every area may share (config/ is the bottom area: everything above sees it).
#pragma once
#include <string_view>
#include <vector>

namespace trfpipe {

// `s` split at every `sep`, every field kept ("a||b" -> "a", "", "b"; "" -> "").
inline std::vector<std::string_view> split_on(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    if (p == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, p - start));
    start = p + 1;
  }
}

}  // namespace trfpipe
