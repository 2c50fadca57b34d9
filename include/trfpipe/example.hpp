// Example: a predicted Doc and its reference (gold) Doc, as spaCy's Example. The two may be
// tokenized differently; the alignment maps tokens by character overlap as spaCy's Alignment.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "trfpipe/doc.hpp"

namespace trfpipe {

// For each token of one side, the indices of the tokens of the other side it overlaps.
struct TokenAlignment {
  std::vector<std::vector<int64_t>> x2y;  // predicted token -> reference tokens
  std::vector<std::vector<int64_t>> y2x;  // reference token -> predicted tokens
};

class Example {
 public:
  // Both docs must have the same text (ignoring whitespace, as spaCy); ValueError otherwise.
  Example(std::shared_ptr<Doc> predicted, std::shared_ptr<Doc> reference);
  // Copies share the docs (shallow, as Python references); copy_predicted() gives a deep copy of
  // the predicted Doc (spaCy's _copy_examples in Language.update).
  Example(const Example& other);
  Example& operator=(const Example& other);
  Example(Example&&) noexcept = default;
  Example& operator=(Example&&) noexcept = default;
  Example copy_predicted() const;
  // predicted = a fresh copy of the reference's words and spaces (no annotations).
  static Example from_reference(std::shared_ptr<Doc> reference);
  Doc& predicted() const { return *predicted_; }
  Doc& reference() const { return *reference_; }
  std::shared_ptr<Doc> predicted_ptr() const { return predicted_; }
  std::shared_ptr<Doc> reference_ptr() const { return reference_; }
  const TokenAlignment& alignment() const;
  // Gold values projected onto predicted tokens (one-to-one aligned tokens only; "" elsewhere),
  // spaCy's example.get_aligned("TAG", as_string=True) and get_aligned_ner() (BILUO, "-" missing).
  std::vector<std::string> get_aligned_tags() const;
  std::vector<std::string> get_aligned_pos() const;
  std::vector<std::string> get_aligned_ner() const;
  std::vector<std::optional<bool>> get_aligned_sent_starts() const;
  // spaCy's get_aligned("SENT_START"): the reference tokens' raw sent_start values (1, -1, 0)
  // on the predicted tokens, where the aligned reference tokens agree (nullopt elsewhere).
  std::vector<std::optional<int>> get_aligned_sent_start_values() const;
  // spaCy's get_aligned_parse(projectivize): the reference's heads and dep labels on the
  // predicted tokens. With `projectivize` the reference tree is first made projective
  // (include/trfpipe/nonproj.hpp; a token without a dep keeps its own head). A predicted token
  // aligned to exactly one reference token gets that token's dep; its head is set when the
  // reference head is aligned to exactly one predicted token. Missing: nullopt. A reference
  // token without a dep has itself as head and dep "" (spaCy's token.head / dep_). A cyclic
  // reference tree is a ValueError.
  struct AlignedParse {
    std::vector<std::optional<size_t>> heads;
    std::vector<std::optional<std::string>> deps;
  };
  AlignedParse get_aligned_parse(bool projectivize = true) const;
  // spaCy's get_aligned_spans_y2x / _x2y: reference spans as spans of the predicted Doc (and
  // back), kept only where the covered text matches (case and spaces ignored); without
  // `allow_overlap` a token already used by an earlier span is skipped.
  std::vector<Span> get_aligned_spans_y2x(const std::vector<Span>& y_spans,
                                          bool allow_overlap = false) const;
  std::vector<Span> get_aligned_spans_x2y(const std::vector<Span>& x_spans,
                                          bool allow_overlap = false) const;
  // spaCy's get_aligned(attr, as_string=True) for "TAG", "POS", "MORPH", "LEMMA" or "DEP":
  // nullopt where a predicted token aligns to no reference token or to several that disagree,
  // "" where the reference leaves it unset (MORPH: "_" for the empty analysis). ValueError for
  // other attributes.
  std::vector<std::optional<std::string>> get_aligned(std::string_view attr) const;

 private:
  std::shared_ptr<Doc> predicted_, reference_;
  mutable std::unique_ptr<TokenAlignment> alignment_;
};

// spaCy's Example.from_dict "spans" annotation (_add_spans_to_doc): {key: [[start_char,
// end_char, label?, kb_id?], ...]} sets doc.spans[key]. A malformed value or a span that does
// not match token boundaries is a ValueError naming the key and the span's index.
void add_spans_from_dict(Doc& doc, const Json& spans);

}  // namespace trfpipe
