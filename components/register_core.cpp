// register_core_components(): the components that need no LibTorch (they live in
// libtrfpipe_core.so), registered once per process — when the core library is loaded, or by
// register_components() in programs that link the static area libraries.
#include "components/register.hpp"

#include <mutex>

#include "components/attribute_ruler/attribute_ruler.hpp"
#include "components/common/registration.hpp"
#include "components/doc_cleaner/doc_cleaner.hpp"
#include "components/entity_ruler/entity_ruler.hpp"
#include "components/merge_entities/merge_entities.hpp"
#include "components/merge_noun_chunks/merge_noun_chunks.hpp"
#include "components/merge_subtokens/merge_subtokens.hpp"
#include "components/sentencizer/sentencizer.hpp"
#include "components/span_ruler/span_ruler.hpp"
#include "trfpipe/json_lines.hpp"

namespace trfpipe {

void register_core_components() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_sentencizer();
    register_json_readers();  // srsly.read_jsonl.v1 for the rulers' [initialize] patterns
    register_entity_ruler();
    register_span_ruler();  // span_ruler, future_entity_ruler
    register_attribute_ruler();
    register_merge_entities();
    register_merge_noun_chunks();
    register_merge_subtokens();
    register_doc_cleaner();
  });
}

namespace {
const RegisterAtLoad register_core_at_load(register_core_components, "the rule-based components");
}  // namespace
}  // namespace trfpipe
