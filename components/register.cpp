// register_components(): every component folder's registration, run once per process. The
// folders listed in TRFPIPE_CORE_COMPONENTS (CMakeLists.txt) register in register_core.cpp.
#include "components/register.hpp"

#include <mutex>

#include "components/edit_tree_lemmatizer/edit_tree_lemmatizer.hpp"
#include "components/morphologizer/morphologizer.hpp"
#include "components/ner/ner.hpp"
#include "components/parser/parser.hpp"
#include "components/senter/senter.hpp"
#include "components/spancat/spancat.hpp"
#include "components/tagger/tagger.hpp"
#include "components/textcat/textcat.hpp"
#include "components/tok2vec/tok2vec.hpp"
#include "components/transformer/transformer.hpp"
#include "models/optimizer.hpp"

namespace trfpipe {

void register_components() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_core_components();
    models::register_optimizers();  // thinc's optimizers and schedules
    register_tok2vec();
    register_tagger();
    register_textcat();
    register_ner();
    register_spancat();
    register_parser();
    register_senter();
    register_morphologizer();
    register_trainable_lemmatizer();
    register_transformer_components();  // transformer, span getters, listeners, v0.x trf_* pipes
  });
}

}  // namespace trfpipe
