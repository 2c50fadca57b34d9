// spaCy token <-> subword piece alignment, as spacy-transformers' align.pyx
// (get_alignment_via_offset_mapping + get_span2wp_from_offset_mapping).
#include <algorithm>
#include <string>
#include <vector>

#include "trfpipe/error.hpp"
#include "trfpipe/subword_tokenizer.hpp"

namespace trfpipe {

Ragged align_pieces_to_tokens(const std::vector<std::vector<Offset>>& docs,
                              const std::vector<AlignSpan>& spans,
                              const std::vector<std::vector<Offset>>& offsets,
                              size_t padded_length) {
  if (spans.size() != offsets.size())
    throw ValueError("Cannot align batches of different sizes: " + std::to_string(spans.size()) +
                     " spans, " + std::to_string(offsets.size()) + " offset rows");
  size_t width = padded_length;
  if (width == 0)
    for (const auto& o : offsets) width = std::max(width, o.size());
  // Token positions: every token of each doc, docs in order of first appearance.
  std::vector<int64_t> doc_base(docs.size(), -1);
  int64_t n_positions = 0;
  for (const auto& s : spans) {
    if (s.doc >= docs.size())
      throw ValueError("align: span refers to doc " + std::to_string(s.doc) + " of " +
                       std::to_string(docs.size()));
    if (doc_base[s.doc] < 0) {
      doc_base[s.doc] = n_positions;
      n_positions += static_cast<int64_t>(docs[s.doc].size());
    }
  }
  std::vector<std::vector<int64_t>> alignment(static_cast<size_t>(n_positions));
  std::vector<int32_t> char_to_token;
  for (size_t i = 0; i < spans.size(); ++i) {
    const AlignSpan& s = spans[i];
    const auto& toks = docs[s.doc];
    if (s.token_start < 0 || s.token_end < s.token_start ||
        s.token_end > static_cast<int64_t>(toks.size()))
      throw ValueError("align: span " + std::to_string(i) + " has tokens [" +
                       std::to_string(s.token_start) + ", " + std::to_string(s.token_end) +
                       ") outside its doc of " + std::to_string(toks.size()) + " tokens");
    if (offsets[i].size() > width)
      throw ValueError("align: offset row " + std::to_string(i) + " is longer than padded_length");
    if (s.token_end == s.token_start) continue;
    // len(span.text) + 1 slots; each token covers its chars plus one trailing char, later
    // tokens overwrite.
    int64_t span_len = toks[static_cast<size_t>(s.token_end - 1)].second - s.char_start;
    if (span_len < 0) throw ValueError("align: span " + std::to_string(i) + " ends before it starts");
    char_to_token.assign(static_cast<size_t>(span_len) + 1, -1);
    for (int64_t t = s.token_start; t < s.token_end; ++t) {
      const Offset& tk = toks[static_cast<size_t>(t)];
      int64_t a = tk.first - s.char_start, b = tk.second - s.char_start + 1;
      for (int64_t c = std::max<int64_t>(a, 0); c < b && c < static_cast<int64_t>(char_to_token.size()); ++c)
        char_to_token[static_cast<size_t>(c)] = static_cast<int32_t>(t - s.token_start);
    }
    const int64_t wp_start = static_cast<int64_t>(i * width);
    const int64_t base = doc_base[s.doc] + s.token_start;
    const auto& row = offsets[i];
    for (size_t j = 0; j < row.size(); ++j) {
      for (int64_t c = row[j].first; c < row[j].second; ++c) {
        if (c < 0 || c >= static_cast<int64_t>(char_to_token.size())) continue;
        int32_t t = char_to_token[static_cast<size_t>(c)];
        if (t < 0) continue;
        auto& a = alignment[static_cast<size_t>(base + t)];
        int64_t idx = wp_start + static_cast<int64_t>(j);
        if (a.empty() || a.back() != idx) a.push_back(idx);
      }
    }
  }
  Ragged r;
  r.lengths.reserve(alignment.size());
  for (auto& a : alignment) {
    std::sort(a.begin(), a.end());
    a.erase(std::unique(a.begin(), a.end()), a.end());
    r.lengths.push_back(static_cast<int64_t>(a.size()));
    r.data.insert(r.data.end(), a.begin(), a.end());
  }
  return r;
}

}  // namespace trfpipe
