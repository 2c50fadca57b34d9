// spaCy's levenshtein / levenshtein_compare (spacy/matcher/levenshtein.pyx over polyleven).
#include <algorithm>
#include <cmath>
#include <vector>

#include "trfpipe/matcher.hpp"

namespace trfpipe {

namespace {

// UTF-8 to code points (Python's str indexes code points; invalid bytes count one each).
std::u32string code_points(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (i + size_t(n) > s.size()) n = 1;
    char32_t cp = n == 1 ? c : c & (0x7F >> n);
    for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + size_t(k)]) & 0x3F);
    out.push_back(cp);
    i += size_t(n);
  }
  return out;
}

}  // namespace

int64_t levenshtein(std::string_view a_utf8, std::string_view b_utf8, int64_t k) {
  std::u32string a = code_points(a_utf8), b = code_points(b_utf8);
  if (a.size() < b.size()) std::swap(a, b);
  const int64_t la = int64_t(a.size()), lb = int64_t(b.size());
  if (k >= 0 && la - lb > k) return k + 1;
  std::vector<int64_t> row(size_t(lb) + 1);
  for (int64_t j = 0; j <= lb; ++j) row[size_t(j)] = j;
  for (int64_t i = 1; i <= la; ++i) {
    int64_t diag = row[0];
    row[0] = i;
    int64_t best = row[0];
    for (int64_t j = 1; j <= lb; ++j) {
      const int64_t up = row[size_t(j)];
      row[size_t(j)] = std::min({up + 1, row[size_t(j - 1)] + 1,
                                 diag + (a[size_t(i - 1)] == b[size_t(j - 1)] ? 0 : 1)});
      diag = up;
      best = std::min(best, row[size_t(j)]);
    }
    if (k >= 0 && best > k) return k + 1;  // every later row is at least this far
  }
  const int64_t d = row[size_t(lb)];
  return k >= 0 && d > k ? k + 1 : d;
}

bool levenshtein_compare(std::string_view input, std::string_view pattern, int fuzzy) {
  int64_t max_edits;
  if (fuzzy >= 0) {
    max_edits = fuzzy;
  } else {
    // max(2, round(0.3 * len(pattern))): Python rounds half to even, as nearbyint does.
    const double len = double(code_points(pattern).size());
    max_edits = std::max<int64_t>(2, int64_t(std::nearbyint(0.3 * len)));
  }
  return levenshtein(input, pattern, max_edits) <= max_edits;
}

}  // namespace trfpipe
