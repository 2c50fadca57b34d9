// spaCy's span suggesters (spacy/pipeline/spancat.py: ngram_suggester, preset_spans_suggester).
#include "trfpipe/error.hpp"
#include "trfpipe/spancat.hpp"

namespace trfpipe {

size_t SuggestedSpans::offset(size_t d) const {
  size_t o = 0;
  for (size_t i = 0; i < d && i < lengths.size(); ++i) o += size_t(lengths[i]);
  return o;
}

SuggestedSpans ngram_suggester(const std::vector<Doc*>& docs, const std::vector<int64_t>& sizes) {
  for (int64_t size : sizes)
    if (size < 1)
      throw ValueError("ngram_suggester: n-gram sizes must be at least 1, got " +
                       std::to_string(size));
  SuggestedSpans out;
  out.lengths.reserve(docs.size());
  for (const Doc* doc : docs) {
    const int64_t n = int64_t(doc->size());
    int64_t count = 0;
    // For each size in order, every start: spaCy stacks one block per size.
    for (int64_t size : sizes) {
      if (size > n) continue;
      for (int64_t start = 0; start + size <= n; ++start, ++count)
        out.spans.push_back({start, start + size});
    }
    out.lengths.push_back(count);
  }
  return out;
}

SuggestedSpans preset_spans_suggester(const std::vector<Doc*>& docs, const std::string& spans_key) {
  SuggestedSpans out;
  out.lengths.reserve(docs.size());
  for (const Doc* doc : docs) {
    int64_t count = 0;
    if (doc->spans().contains(spans_key))
      for (const SpanGroupEntry& e : doc->spans().group(spans_key).spans) {
        out.spans.push_back({int64_t(e.start), int64_t(e.end)});
        ++count;
      }
    out.lengths.push_back(count);
  }
  return out;
}

}  // namespace trfpipe
