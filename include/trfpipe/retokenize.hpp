// spaCy's Doc.retokenize() (spacy/tokens/_retokenize.pyx): merging spans into single tokens.
// Collect the merges, then apply them at once (spaCy applies them when the `with` block exits;
// C++ makes that an explicit call, so that its errors are not lost in a destructor):
//
//   trfpipe::Retokenizer retokenizer(doc);
//   retokenizer.merge(doc.span(3, 5), {{"LEMMA", "New York"}, {"ENT_TYPE", "GPE"}});
//   retokenizer.apply();
//
// The merged token takes the text of the span (inner whitespace kept) and the trailing
// whitespace of its last token; TAG, POS, MORPH, DEP, the head and the entity of the span's
// syntactic root (spaCy's Span.root); the lemmas of the span joined with their whitespace; no
// NORM; then the given attributes. Heads of other tokens are remapped, tokens pointing into a
// merged span point at the merged token; with a parse the sentence starts are recomputed from
// the heads; doc.tensor keeps the last row of each merged span; span groups are remapped.
#pragma once
#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

#include "trfpipe/attrs.hpp"
#include "trfpipe/doc.hpp"

namespace trfpipe {

class Retokenizer {
 public:
  explicit Retokenizer(Doc& doc);
  // Marks `span` (of this Doc) for merging with `attrs` (see normalize_token_attrs in
  // trfpipe/attrs.hpp). The same span twice is ignored; an empty span (spaCy's E199) or one
  // that overlaps another merge (E102) is a ValueError, as are bad attributes.
  void merge(const Span& span, const nlohmann::ordered_json& attrs = nlohmann::ordered_json::object());
  // Applies every merge (spaCy's __exit__), then forgets them.
  void apply();
  size_t size() const { return merges_.size(); }

 private:
  struct Merge {
    size_t start, end;
    TokenAttrValues attrs;
  };
  Doc* doc_;
  std::vector<Merge> merges_;
  std::vector<char> in_merge_;  // token i is part of a pending merge
};

// Span::root() of doc[start:end] (spaCy's Span.root: the token with the shortest path to the root
// of its sentence; childless punctuation last; doc[start] when every head stays inside), with the
// bounds checked: ValueError for an empty span or one past the Doc.
size_t span_root(const Doc& doc, size_t start, size_t end);

}  // namespace trfpipe
