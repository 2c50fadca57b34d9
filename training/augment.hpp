// spaCy's data augmenters (spacy/training/augment.py) for spacy.Corpus.v1's `augmenter`:
// spacy.lower_case.v1, spacy.orth_variants.v1 and spacy.combined_augmenter.v1. The reference doc
// is rebuilt with the new words (every token annotation kept) and the predicted doc is the
// tokenizer's doc of the new text. Random choices come from augment_rng(), seeded with the
// training seed, so a run is deterministic under [training] seed.
#pragma once
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "trfpipe/config.hpp"
#include "trfpipe/example.hpp"
#include "trfpipe/language.hpp"

namespace trfpipe {

// What a registered augmenter resolves to: an example in, one or more examples out.
using Augmenter = std::function<std::vector<Example>(Language& nlp, const Example& example)>;

// The generator every augmenter draws from; reseed_augmenters(seed) is called with the training
// seed (spaCy's fix_random_seed seeds Python's `random`, which its augmenters use).
std::mt19937_64& augment_rng();
void reseed_augmenters(uint64_t seed);

// The single pieces, exposed for tests. orth_variants is spaCy's {"single": [{"tags": [...],
// "variants": [...]}], "paired": [{"tags": [...], "variants": [[l, r], ...]}]}.
Example make_lowercase_variant(Language& nlp, const Example& example);
Example make_orth_variant(Language& nlp, const Example& example, const Json& orth_variants,
                          bool lower);
// Inserts a whitespace token at `position` (0..len) with spaCy's annotation policy (_SP, SPACE,
// dep, I- inside an entity); the example is returned unchanged when it has span groups, partial
// dependencies or no tokens.
Example make_whitespace_variant(Language& nlp, const Example& example,
                                const std::string& whitespace, size_t position);

// Registers the augmenters (the `augmenters` registry). Idempotent.
void register_augmenters();

}  // namespace trfpipe
