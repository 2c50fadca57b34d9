// register_components(): every component folder's registration, run once per process.
#include "components/register.hpp"

#include <mutex>

#include "components/attribute_ruler/attribute_ruler.hpp"
#include "components/doc_cleaner/doc_cleaner.hpp"
#include "components/edit_tree_lemmatizer/edit_tree_lemmatizer.hpp"
#include "components/entity_ruler/entity_ruler.hpp"
#include "components/merge_entities/merge_entities.hpp"
#include "components/merge_noun_chunks/merge_noun_chunks.hpp"
#include "components/merge_subtokens/merge_subtokens.hpp"
#include "components/morphologizer/morphologizer.hpp"
#include "components/ner/ner.hpp"
#include "components/parser/parser.hpp"
#include "components/senter/senter.hpp"
#include "components/span_ruler/span_ruler.hpp"
#include "components/sentencizer/sentencizer.hpp"
#include "components/spancat/spancat.hpp"
#include "components/tagger/tagger.hpp"
#include "components/textcat/textcat.hpp"
#include "components/tok2vec/tok2vec.hpp"
#include "components/transformer/transformer.hpp"
#include "models/optimizer.hpp"
#include "trfpipe/json_lines.hpp"

namespace trfpipe {

void register_components() {
  static std::once_flag once;
  std::call_once(once, [] {
    models::register_optimizers();  // thinc's optimizers and schedules
    register_sentencizer();
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
    register_json_readers();            // srsly.read_jsonl.v1 for the rulers' [initialize] patterns
    register_entity_ruler();
    register_span_ruler();  // span_ruler, future_entity_ruler
    register_attribute_ruler();
    register_merge_entities();
    register_merge_noun_chunks();
    register_merge_subtokens();
    register_doc_cleaner();
  });
}

}  // namespace trfpipe
