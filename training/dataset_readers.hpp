// Readers of data sets in their own layouts, registered by other Python packages than spaCy
// (ml_datasets' spaCy readers), and what a reader of several splits resolves to.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "trfpipe/training.hpp"

namespace trfpipe {

// What a reader of several splits makes (ml_datasets: {"train": reader, "dev": reader} from one
// [corpora] block). A dot name such as "corpora.dev" reaches into it, as spaCy's
// resolve_dot_names does.
using ReaderSplits = std::map<std::string, Reader>;

// The reviews of an unpacked aclImdb_v1 folder (`split` = "train" or "test": <folder>/<split>/pos
// and /neg, one .txt review per file) as ml_datasets reads them: both labels' files shuffled with
// augment_rng() (Python's `random` in spaCy), the first `limit` kept (0 = all), "<br />" as a
// paragraph break, blank reviews skipped; cats {"pos", "neg"}. DataError naming the folder when
// the layout is not there.
std::vector<Example> read_imdb_split(const std::string& folder, const std::string& split,
                                     int64_t limit, Language& nlp);

// Registers ml_datasets.imdb_sentiment.v1 (the `readers` registry). Idempotent.
void register_dataset_readers();

}  // namespace trfpipe
