// spaCy's `doc_cleaner` component (spacy/pipeline/functions.py DocCleaner): resets Doc
// attributes after the pipeline has used them, by default doc.tensor and doc._.trf_data, to save
// memory. `attrs` maps "tensor", "cats" or "_.<extension>" to the new value (null: empty tensor,
// no cats, the extension's default); others are skipped, with a W116 line on stderr unless
// `silent`. Saved as <name>/cfg. No LibTorch.
#pragma once
#include <string>

#include "trfpipe/language.hpp"

namespace trfpipe {

class DocCleaner : public Pipe {
 public:
  DocCleaner(std::string name, Json attrs, bool silent);
  std::any predict(const std::vector<Doc*>&) override { return {}; }
  void set_annotations(const std::vector<Doc*>& docs, const std::any&) override;
  void to_disk(const std::string& dir) const override;
  void from_disk(const std::string& dir) override;
  const Json& attrs() const { return attrs_; }
  bool silent() const { return silent_; }

 private:
  Json attrs_;
  bool silent_;
};

void register_doc_cleaner();

}  // namespace trfpipe
