// Helpers the benchmark programs share.
#pragma once
#include <cstddef>
#include <sstream>
#include <string>

namespace trfpipe::bench {

// Whitespace-split words (spaCy's speed benchmarks count len(text.split())).
inline size_t count_words(const std::string& s) {
  std::istringstream in(s);
  std::string w;
  size_t n = 0;
  while (in >> w) ++n;
  return n;
}

}  // namespace trfpipe::bench
