// The `senter` component (spaCy's SentenceRecognizer, spacy/pipeline/senter.pyx): a
// spacy.Tagger.v2 model tagging each token "S" (starts a sentence) or "I".
#pragma once

namespace trfpipe {

// The senter factory (and spacy.Tagger.v2 and spacy.senter_scorer.v1's placeholder).
void register_senter();

}  // namespace trfpipe
