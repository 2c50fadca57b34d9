// The `textcat` and `textcat_multilabel` components (spaCy's TextCategorizer and
// MultiLabel_TextCategorizer): doc.cats from a text classifier model.
#pragma once

namespace trfpipe {

// The textcat and textcat_multilabel factories and their architectures.
void register_textcat();

}  // namespace trfpipe
