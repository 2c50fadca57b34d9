// The `trainable_lemmatizer` component (spaCy's EditTreeLemmatizer,
// spacy/pipeline/edit_tree_lemmatizer.py), also registered as spacy-experimental's
// `experimental_edit_tree_lemmatizer`: a spacy.Tagger.v2 model classifies each token into an
// edit tree (edit_trees.hpp) that rewrites the form into its lemma. The labels are tree ids;
// trees seen fewer than min_tree_freq times in the training data are not labels. When none of
// the top_k most probable trees applies, the lemma backs off to the token's `backoff`
// attribute ("orth", "lower", ...; null leaves it unset).
//
// Folder layout as spaCy's: <dir>/cfg ({"labels": [tree ids]}), <dir>/model, <dir>/trees
// (msgpack {"trees": [...]}); backoff, min_tree_freq, overwrite and top_k live in the config.
#pragma once

namespace trfpipe {

// The trainable_lemmatizer and experimental_edit_tree_lemmatizer factories.
void register_trainable_lemmatizer();

}  // namespace trfpipe
