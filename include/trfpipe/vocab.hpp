// The Vocab: the StringStore plus cached lexical attributes of each word form (spaCy's Lexeme).
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "trfpipe/strings.hpp"

namespace trfpipe {

class Vectors;  // trfpipe/vectors.hpp

// Lexical flags (spaCy's is_* / like_* attributes), computed once per word form.
enum LexFlag : uint32_t {
  IS_ALPHA = 1u << 0, IS_ASCII = 1u << 1, IS_DIGIT = 1u << 2, IS_LOWER = 1u << 3,
  IS_PUNCT = 1u << 4, IS_SPACE = 1u << 5, IS_TITLE = 1u << 6, IS_UPPER = 1u << 7,
  LIKE_URL = 1u << 8, LIKE_NUM = 1u << 9, LIKE_EMAIL = 1u << 10, IS_STOP = 1u << 11,
  IS_BRACKET = 1u << 12, IS_QUOTE = 1u << 13, IS_LEFT_PUNCT = 1u << 14,
  IS_RIGHT_PUNCT = 1u << 15, IS_CURRENCY = 1u << 16,
};

struct Lexeme {
  hash_t orth = 0, lower = 0, norm = 0, shape = 0, prefix = 0, suffix = 0;
  uint32_t flags = 0;
  bool has(LexFlag f) const { return (flags & f) != 0; }
};

class Vocab {
 public:
  explicit Vocab(std::string lang = "en");
  const std::string& lang() const { return lang_; }
  StringStore& strings() { return strings_; }
  const StringStore& strings() const { return strings_; }
  // The lexeme of a word form, created (and its strings added) on first use. Thread-safe.
  const Lexeme& get(std::string_view orth);
  const Lexeme* find(hash_t orth) const;  // nullptr when never seen
  size_t size() const;
  // spaCy's vocab.vectors: the static word vectors (an empty table until loaded or set).
  // Replaced only while nothing processes with this Vocab (a pipeline change).
  Vectors& vectors() { return *vectors_; }
  const Vectors& vectors() const { return *vectors_; }
  void set_vectors(std::shared_ptr<Vectors> vectors);

 private:
  std::string lang_;
  StringStore strings_;
  std::shared_ptr<Vectors> vectors_;
  std::unordered_map<hash_t, Lexeme> lexemes_;
  mutable std::mutex mutex_;
};

}  // namespace trfpipe
