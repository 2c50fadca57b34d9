// register_components(): each component family's registration, run once per process.
#include "components/register.hpp"

#include <mutex>

#include "components/sentencizer/sentencizer.hpp"
#include "components/trainable.hpp"
#include "components/transformer/transformer.hpp"

namespace trfpipe {

void register_components() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_sentencizer();
    register_trainable_components();  // tok2vec, tagger, ner, textcat(_multilabel), architectures
    register_transformer_components();  // transformer, span getters, listeners, v0.x trf_* pipes
  });
}

}  // namespace trfpipe
