// Span suggesters for the `spancat` and `spancat_singlelabel` components (spaCy's
// spacy/pipeline/spancat.py): a suggester proposes candidate (start, end) token spans per Doc, the
// component's model scores each candidate for every label. Torch-free, so a plugin can register
// its own suggester in the "misc" registry:
//
//   f.make = [](const Value& args, const std::vector<std::string>&) {
//     return std::any(trfpipe::Suggester([](const std::vector<trfpipe::Doc*>& docs) { ... }));
//   };
//   trfpipe::registry::get("misc").add(std::move(f));
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "trfpipe/doc.hpp"

namespace trfpipe {

// thinc's Ragged of int pairs, as spaCy's suggesters return it: the spans of doc i are the
// `lengths[i]` rows after those of the docs before it; a span is tokens [start, end).
struct SuggestedSpans {
  struct Pair {
    int64_t start = 0, end = 0;
    bool operator==(const Pair& o) const { return start == o.start && end == o.end; }
  };
  std::vector<Pair> spans;
  std::vector<int64_t> lengths;  // one per doc
  size_t size() const { return spans.size(); }
  // The row of doc d's first span.
  size_t offset(size_t d) const;
};

using Suggester = std::function<SuggestedSpans(const std::vector<Doc*>& docs)>;

// spacy.ngram_suggester.v1: for each size in order, every n-gram of that size (start ascending);
// sizes longer than the doc give nothing. Sizes below 1 are a ValueError.
SuggestedSpans ngram_suggester(const std::vector<Doc*>& docs, const std::vector<int64_t>& sizes);

// spacy.preset_spans_suggester.v1: the spans of doc.spans[spans_key] (none when absent).
SuggestedSpans preset_spans_suggester(const std::vector<Doc*>& docs, const std::string& spans_key);

}  // namespace trfpipe
