// The `morphologizer` component (spaCy's Morphologizer, spacy/pipeline/morphologizer.pyx):
// token.morph and token.pos from one spacy.Tagger.v2 model whose labels are the normalized
// FEATS strings with the UPOS added as a "POS" feature ("Number=Sing|POS=NOUN"). Labels keep
// their order of first appearance (spaCy's cfg dicts labels_morph / labels_pos).
#pragma once

namespace trfpipe {

// The morphologizer factory (and spacy.morphologizer_scorer.v1's placeholder).
void register_morphologizer();

}  // namespace trfpipe
