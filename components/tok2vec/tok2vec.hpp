// The `tok2vec` component (spaCy's Tok2Vec pipe): runs its model once per batch, writes
// doc.tensor, and in training hands its outputs to the listeners of downstream components
// (components/common/listener.hpp).
#pragma once

namespace trfpipe {

// The tok2vec factory and the spacy.Tok2Vec.v2 family of architectures.
void register_tok2vec();

}  // namespace trfpipe
