// spaCy's `merge_entities` component (spacy/pipeline/functions.py): every entity of doc.ents
// becomes one token with the TAG and DEP of its root and the entity's type. No LibTorch.
#pragma once
#include "trfpipe/language.hpp"

namespace trfpipe {

class MergeEntities : public Pipe {
 public:
  explicit MergeEntities(std::string name) : Pipe(std::move(name)) { set_factory_name("merge_entities"); }
  std::any predict(const std::vector<Doc*>&) override { return {}; }
  void set_annotations(const std::vector<Doc*>& docs, const std::any&) override;
};

void register_merge_entities();

}  // namespace trfpipe
