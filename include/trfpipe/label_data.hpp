// spaCy's `init labels`: the label data of a pipeline's components (component.label_data), which
// `[initialize.components.<name>.labels] = {"@readers": "spacy.read_labels.v1", ...}` reads
// back so that initialization need not go through the whole training corpus.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "trfpipe/config.hpp"
#include "trfpipe/language.hpp"

namespace trfpipe {

// (component name, label data) for every component of `nlp` (initialized) that has label data,
// in pipeline order: a list of labels for tagger, textcat, spancat; the moves {move: {label:
// freq}} for ner and parser.
std::vector<std::pair<std::string, Json>> pipeline_label_data(const Language& nlp);

}  // namespace trfpipe
