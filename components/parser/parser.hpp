// The `parser` component (spaCy's DependencyParser): transition-based, arc-eager moves
// (components/parser/arc_eager.hpp) over the spacy.TransitionBasedParser model shared with ner
// (components/parser_internals/).
#pragma once

namespace trfpipe {

// The parser factory (and spacy.TransitionBasedParser.v1/v2).
void register_parser();

}  // namespace trfpipe
