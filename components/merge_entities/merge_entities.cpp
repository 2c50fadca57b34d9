#include "components/merge_entities/merge_entities.hpp"

#include "trfpipe/error.hpp"
#include "trfpipe/retokenize.hpp"

namespace trfpipe {

void MergeEntities::set_annotations(const std::vector<Doc*>& docs, const std::any&) {
  for (Doc* doc : docs) {
    Retokenizer retokenizer(*doc);
    for (const Span& ent : doc->ents()) {
      const TokenData& root = doc->tokens()[span_root(*doc, ent.start(), ent.end())];
      retokenizer.merge(ent, {{"tag", root.tag}, {"dep", root.dep}, {"ent_type", ent.label()}});
    }
    retokenizer.apply();
  }
}

void register_merge_entities() {
  FactoryMeta m;
  m.name = "merge_entities";
  m.requires_attrs = {"doc.ents", "token.ent_iob", "token.ent_type"};
  m.make = [](Language&, const std::string& name, const registry::Value& config) {
    for (const auto& [key, value] : config.items())
      throw ConfigError({"components", name, key}, "merge_entities takes no settings");
    return std::unique_ptr<Pipe>(std::make_unique<MergeEntities>(name));
  };
  register_factory(std::move(m));
}

}  // namespace trfpipe
