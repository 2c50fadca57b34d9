// The `tagger` component (spaCy's Tagger pipe): token.tag from a spacy.Tagger.v2 model, trained
// with spaCy's cross-entropy (label smoothing, negative labels with neg_prefix).
#pragma once

namespace trfpipe {

// The tagger factory and spacy.Tagger.v2.
void register_tagger();

}  // namespace trfpipe
