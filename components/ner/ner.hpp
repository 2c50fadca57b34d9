// The `ner` component (spaCy's EntityRecognizer): transition-based, BILUO moves
// (components/ner/ner_moves.hpp) over the spacy.TransitionBasedParser.v2 model shared with the
// parser (components/parser_internals/).
#pragma once

namespace trfpipe {

// The ner factory (and spacy.TransitionBasedParser.v2).
void register_ner();

}  // namespace trfpipe
