// The Vocab: StringStore + one cached Lexeme per word form (spaCy's Vocab/Lexeme).
#include "trfpipe/vocab.hpp"

#include "pipeline/lexeme_attrs.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/vectors.hpp"

namespace trfpipe {

Vocab::Vocab(std::string lang)
    : lang_(std::move(lang)), vectors_(std::make_shared<Vectors>()) {}

void Vocab::set_vectors(std::shared_ptr<Vectors> vectors) {
  if (!vectors) throw ValueError("Vocab::set_vectors: null vectors (use an empty table)");
  vectors_ = std::move(vectors);
}

const Lexeme& Vocab::get(std::string_view orth) {
  hash_t id = string_id(orth);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = lexemes_.find(id);
    if (it != lexemes_.end()) return it->second;
  }
  // Computed outside the lock (pure function of the string); the first insert wins.
  Lexeme lex = pipeline::make_lexeme(orth, strings_, lang_);
  std::lock_guard<std::mutex> lock(mutex_);
  return lexemes_.emplace(id, lex).first->second;
}

const Lexeme* Vocab::find(hash_t orth) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = lexemes_.find(orth);
  return it == lexemes_.end() ? nullptr : &it->second;
}

size_t Vocab::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return lexemes_.size();
}

}  // namespace trfpipe
