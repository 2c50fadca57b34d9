// spaCy's `merge_subtokens` component (spacy/pipeline/functions.py): runs of tokens whose DEP is
// `label` ("subtok") are merged with the token after them, longest runs first. Needs a parse.
// No LibTorch.
#pragma once
#include <memory>
#include <string>

#include "trfpipe/language.hpp"
#include "trfpipe/matcher.hpp"

namespace trfpipe {

class MergeSubtokens : public Pipe {
 public:
  MergeSubtokens(Language& nlp, std::string name, std::string label);
  std::any predict(const std::vector<Doc*>&) override { return {}; }
  // ValueError (spaCy's E155) for a Doc without dependency labels.
  void set_annotations(const std::vector<Doc*>& docs, const std::any&) override;
  const std::string& label() const { return label_; }

 private:
  std::string label_;
  std::unique_ptr<Matcher> matcher_;
};

void register_merge_subtokens();

}  // namespace trfpipe
