// spaCy's `merge_noun_chunks` component (spacy/pipeline/functions.py): every noun chunk of
// doc.noun_chunks becomes one token with the TAG and DEP of its root. Docs without a
// dependency parse pass unchanged. No LibTorch.
#pragma once
#include "trfpipe/language.hpp"

namespace trfpipe {

class MergeNounChunks : public Pipe {
 public:
  explicit MergeNounChunks(std::string name) : Pipe(std::move(name)) { set_factory_name("merge_noun_chunks"); }
  std::any predict(const std::vector<Doc*>&) override { return {}; }
  void set_annotations(const std::vector<Doc*>& docs, const std::any&) override;
};

void register_merge_noun_chunks();

}  // namespace trfpipe
