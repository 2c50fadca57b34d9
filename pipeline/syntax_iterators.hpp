// Language-specific syntax iterators (spaCy's Language.Defaults.syntax_iterators, from
// spacy/lang/<code>/syntax_iterators.py). They live in pipeline/lang/, one file per language,
// because Doc::noun_chunks and Span::noun_chunks (pipeline area) call them; the tokenizer's
// language data stays in tokenization/.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include "trfpipe/doc.hpp"

namespace trfpipe {

// (start, end, label) token spans found in tokens [start, end) of a Doc (a Doc or a Span, as
// spaCy's doclike argument).
using SyntaxSpans = std::vector<std::tuple<size_t, size_t, hash_t>>;
using SyntaxIterator = std::function<SyntaxSpans(Doc& doc, size_t start, size_t end)>;

// The iterator `name` ("noun_chunks") of language `lang`, or nullptr when it has none.
const SyntaxIterator* find_syntax_iterator(const std::string& lang, const std::string& name);

namespace lang::en {
// spacy/lang/en/syntax_iterators.py noun_chunks. ValueError E029 without a parse.
SyntaxSpans noun_chunks(Doc& doc, size_t start, size_t end);
}  // namespace lang::en

namespace lang::de {
// spacy/lang/de/syntax_iterators.py noun_chunks (close appositions extend a chunk to the
// right). ValueError E029 without a parse.
SyntaxSpans noun_chunks(Doc& doc, size_t start, size_t end);
}  // namespace lang::de

}  // namespace trfpipe
