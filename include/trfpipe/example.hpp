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

 private:
  std::shared_ptr<Doc> predicted_, reference_;
  mutable std::unique_ptr<TokenAlignment> alignment_;
};

}  // namespace trfpipe
