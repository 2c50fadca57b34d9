// spaCy's rule-based `sentencizer` (spacy/pipeline/sentencizer.pyx): the first token starts a
// sentence; after a token whose text is a punct char, the next token that is neither is_punct nor
// a punct char starts the next one. Existing boundaries are kept unless `overwrite`.
#pragma once
#include <set>
#include <string>
#include <vector>

#include "trfpipe/language.hpp"

namespace trfpipe {

class Sentencizer : public Pipe {
 public:
  // spaCy's Sentencizer.default_punct_chars (128 strings, in spaCy's order).
  static const std::vector<std::string>& default_punct_chars();

  // Empty punct_chars = the defaults (as spaCy's `punct_chars=None`).
  Sentencizer(std::string name, std::vector<std::string> punct_chars = {}, bool overwrite = false);

  // One flag per token per doc: true = starts a sentence.
  std::any predict(const std::vector<Doc*>& docs) override;
  void set_annotations(const std::vector<Doc*>& docs, const std::any& scores) override;

  const std::vector<std::string>& punct_chars() const { return punct_chars_; }
  bool overwrite() const { return overwrite_; }

  // As spaCy: `<dir>.json` (path.with_suffix(".json")) holding {"punct_chars", "overwrite"}.
  void to_disk(const std::string& dir) const override;
  void from_disk(const std::string& dir) override;

 private:
  void set_punct_chars(std::vector<std::string> chars);
  std::vector<std::string> punct_chars_;
  std::set<std::string> punct_set_;
  bool overwrite_;
};

// Registers the `sentencizer` factory (and a placeholder `spacy.senter_scorer.v1` scorer when no
// real one is registered yet). Idempotent.
void register_sentencizer();

}  // namespace trfpipe
