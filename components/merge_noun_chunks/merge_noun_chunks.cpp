#include "components/merge_noun_chunks/merge_noun_chunks.hpp"

#include "trfpipe/error.hpp"
#include "trfpipe/retokenize.hpp"

namespace trfpipe {

void MergeNounChunks::set_annotations(const std::vector<Doc*>& docs, const std::any&) {
  for (Doc* doc : docs) {
    if (!doc->has_annotation("DEP")) continue;
    Retokenizer retokenizer(*doc);
    for (const Span& np : doc->noun_chunks()) {
      const Token root = np.root();
      retokenizer.merge(np, {{"tag", root.data().tag}, {"dep", root.data().dep}});
    }
    retokenizer.apply();
  }
}

void register_merge_noun_chunks() {
  FactoryMeta m;
  m.name = "merge_noun_chunks";
  m.requires_attrs = {"token.dep", "token.tag", "token.pos"};
  m.make = [](Language&, const std::string& name, const registry::Value& config) {
    for (const auto& [key, value] : config.items())
      throw ConfigError({"components", name, key}, "merge_noun_chunks takes no settings");
    return std::unique_ptr<Pipe>(std::make_unique<MergeNounChunks>(name));
  };
  register_factory(std::move(m));
}

}  // namespace trfpipe
