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

namespace lang {
// What every noun_chunks iterator starts with: ValueError E029 unless `doc` has a dependency
// parse; then the string ids of its `np_labels` (added to the doc's strings).
std::vector<hash_t> noun_chunk_deps(Doc& doc, const std::vector<const char*>& np_labels);
}  // namespace lang

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
