// The `spancat` and `spancat_singlelabel` components (spaCy's SpanCategorizer,
// spacy/pipeline/spancat.py): a suggester proposes candidate spans, a spacy.SpanCategorizer.v1
// model scores every candidate for every label, and the kept spans go to doc.spans[spans_key]
// with their scores in the group's attrs["scores"].
//
// spancat: multi-label (a logistic output per label), kept when score >= threshold, at most
// max_positive labels per span. spancat_singlelabel: one extra "negative" output (a softmax over
// labels + negative), a span keeps its argmax label unless that is the negative one; without
// allow_overlap the highest-scoring spans win greedily.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "trfpipe/doc.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/spancat.hpp"

namespace trfpipe {

// The settings that turn scores into spans (spaCy's SpanCategorizer cfg).
struct SpanGroupOptions {
  std::optional<double> threshold = 0.5;
  std::optional<int64_t> max_positive;
  bool add_negative_label = false;  // the last score column is the negative label
  bool allow_overlap = true;
};

// spaCy's _make_span_group_multilabel: for every candidate (in order) the labels (in label order)
// with score >= threshold among its max_positive best (the negative column never counts), as
// group `key` with attrs["scores"]. `scores` is [candidates, labels (+1)].
SpanGroup make_span_group_multilabel(Doc& doc, const std::string& key,
                                     const std::vector<SuggestedSpans::Pair>& candidates,
                                     const Matrix& scores, const std::vector<std::string>& labels,
                                     const SpanGroupOptions& options);
// spaCy's _make_span_group_singlelabel: each candidate's argmax label, dropped when it is the
// negative label or below the threshold; without allow_overlap candidates are taken by
// descending score and skipped when they share a token with one already taken.
SpanGroup make_span_group_singlelabel(Doc& doc, const std::string& key,
                                      const std::vector<SuggestedSpans::Pair>& candidates,
                                      const Matrix& scores, const std::vector<std::string>& labels,
                                      const SpanGroupOptions& options);

// spaCy's SpanCategorizer.set_candidates (for debugging a suggester): the component's
// suggestions as unlabelled spans in doc.spans[candidates_key]. ValueError when `pipe` is not a
// span categorizer.
void set_candidates(Pipe& pipe, const std::vector<Doc*>& docs,
                    const std::string& candidates_key = "candidates");

// The spancat and spancat_singlelabel factories, their architectures and suggesters.
void register_spancat();

}  // namespace trfpipe
