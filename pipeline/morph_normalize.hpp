// spaCy's normalisation of a FEATS string (Morphology.normalize_features), shared by
// Token::set_morph, the matchers (MORPH patterns) and the retokenizer.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace trfpipe::pipeline {

// Fields sorted, the values of a field sorted; "" and "_" give "_". ValueError for a feature
// that is not Field=Value[,Value].
std::string normalize_morph(std::string_view feats);

// The single "Field=Value" features of a FEATS string, a multi-value field split into one
// feature per value ("Case=Acc,Nom" gives "Case=Acc", "Case=Nom"), as spaCy's MorphAnalysis
// iterates; empty for "" and "_".
std::vector<std::string> morph_features(std::string_view feats);

}  // namespace trfpipe::pipeline
