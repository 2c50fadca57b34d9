// Word vectors in the word2vec / GloVe text format, as spaCy's `init vectors` reads them
// (spacy/training/initialize.py read_vectors / ensure_shape): one "word v1 v2 ... vN" line per
// vector, with or without a first "rows cols" line; gzip-compressed files are read as they are.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "trfpipe/strings.hpp"
#include "trfpipe/vectors.hpp"

namespace trfpipe {

// Reads the vectors of `path` (at most `truncate` of them when truncate >= 1), adds the words to
// `strings` and returns the table with each word's string ID mapped to its row, deduplicated as
// spaCy's convert_vectors does. A DataError names the file and line for a row with another
// number of values than the first (or the header's), a value that is not a number, invalid
// UTF-8, an empty line or an empty file.
std::shared_ptr<Vectors> read_vectors_text(const std::string& path, StringStore& strings,
                                           int64_t truncate = 0);

}  // namespace trfpipe
