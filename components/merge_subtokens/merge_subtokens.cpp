#include "components/merge_subtokens/merge_subtokens.hpp"

#include <algorithm>

#include "components/common/registration.hpp"
#include "trfpipe/retokenize.hpp"

namespace trfpipe {

MergeSubtokens::MergeSubtokens(Language& nlp, std::string name, std::string label)
    : Pipe(std::move(name)), label_(std::move(label)) {
  set_factory_name("merge_subtokens");
  matcher_ = std::make_unique<Matcher>(nlp.vocab_ptr());
  matcher_->add("SUBTOK", Json::array({Json::array({{{"DEP", label_}, {"op", "+"}}})}));
}

void MergeSubtokens::set_annotations(const std::vector<Doc*>& docs, const std::any&) {
  for (Doc* doc : docs) {
    std::vector<Span> spans;
    // doc[start : end + 1]: each run with the token it belongs to (clipped at the Doc's end).
    for (const Match& m : (*matcher_)(*doc)) spans.emplace_back(doc, m.start, std::min(m.end + 1, doc->size()));
    Retokenizer retokenizer(*doc);
    for (const Span& span : filter_spans(spans)) retokenizer.merge(span);
    retokenizer.apply();
  }
}

void register_merge_subtokens() {
  FactoryMeta m;
  m.name = "merge_subtokens";
  m.requires_attrs = {"token.dep"};
  // spaCy registers it as a plain component: the label is always "subtok".
  m.make = [](Language& nlp, const std::string& name, const registry::Value& config) {
    check_settings(config, name, "merge_subtokens", {});
    return std::unique_ptr<Pipe>(std::make_unique<MergeSubtokens>(nlp, name, "subtok"));
  };
  register_factory(std::move(m));
}

}  // namespace trfpipe
